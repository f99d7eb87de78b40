import { afterEach, describe, expect, it, vi } from 'vitest';
import { CliError } from './client.js';
import { waitForJob } from './wait-for-job.js';

type Event = { seq: number; kind: string; message?: string; done?: number; total?: number };

/**
 * The server's answers, scripted: the job's state per poll, and the events stored by then. Each GET of the
 * job moves time on one poll, so a test can place a job's last lines and its end in the same poll, the
 * moment the CLI used to miss.
 */
function server(polls: { state: string; events: Event[]; error?: { code: string; message: string } }[]) {
  let poll = -1;
  const stored = (): Event[] => polls.slice(0, poll + 1).flatMap((p) => p.events);
  return {
    async request<T>(method: string, route: string): Promise<T> {
      expect(method).toBe('GET');
      const url = new URL(route, 'http://x');
      if (url.pathname.endsWith('/events')) {
        const after = Number(url.searchParams.get('after'));
        const limit = Number(url.searchParams.get('limit'));
        return { items: stored().filter((e) => e.seq > after).slice(0, limit) } as T;
      }
      poll = Math.min(poll + 1, polls.length - 1);
      const p = polls[poll]!;
      return { id: 'job_1', state: p.state, ...(p.error ? { error: p.error } : {}) } as T;
    },
  };
}

const log = (seq: number, message: string): Event => ({ seq, kind: 'log', message });

describe('waitForJob', () => {
  const written: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    written.length = 0;
  });
  const captureStderr = (): void => {
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
  };

  it('prints the lines a job logged in the poll where it ended', async () => {
    captureStderr();
    const s = server([
      { state: 'running', events: [log(1, 'step 1:normalize: 300 records in, 300 out')] },
      { state: 'succeeded', events: [log(2, 'step 4:dedup: 300 records in, 270 out')] }, // logged, then ended, within one poll
    ]);
    const job = await waitForJob(s, {}, 'job_1', 1);
    expect(job.state).toBe('succeeded');
    expect(written.join('')).toBe('step 1:normalize: 300 records in, 300 out\nstep 4:dedup: 300 records in, 270 out\n');
  });

  it('prints each line once, over pages of 1,000, and nothing when quiet', async () => {
    captureStderr();
    const many = Array.from({ length: 2500 }, (_, i) => log(i + 1, `line ${i + 1}`));
    await waitForJob(server([{ state: 'running', events: many.slice(0, 1200) }, { state: 'succeeded', events: many.slice(1200) }]), {}, 'job_1', 1);
    expect(written.join('').split('\n').filter(Boolean)).toEqual(many.map((e) => e.message));
    written.length = 0;
    await waitForJob(server([{ state: 'succeeded', events: many }]), { quiet: true }, 'job_1', 1);
    expect(written).toEqual([]);
  });

  it('throws the job\'s error when it failed, after printing its lines', async () => {
    captureStderr();
    const s = server([{ state: 'failed', events: [log(1, 'step 2:clean: no field "body"')], error: { code: 'dataset_transform_failed', message: 'step 2 failed' } }]);
    const err = await waitForJob(s, {}, 'job_1', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({ message: 'step 2 failed', code: 'dataset_transform_failed' });
    expect(written.join('')).toContain('step 2:clean: no field "body"');
  });
});
