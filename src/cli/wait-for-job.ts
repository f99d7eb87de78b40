/**
 * `--wait` for the dataset commands: polls a job until it ends, relaying its progress and log lines to
 * stderr; throws a CliError when it failed or was cancelled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobView } from '../jobs/index.js';
import { type ApiClient, CliError, type GlobalOptions } from './client.js';
import { EXIT } from './exit-codes.js';

/** Polls the job until it ends, printing progress to stderr; throws when it failed. */
export async function waitForJob(client: Pick<ApiClient, 'request'>, options: GlobalOptions, id: string, pollMs = 500): Promise<JobView> {
  const tty = process.stderr.isTTY && !options.json;
  const relay = new EventRelay(client, id, tty, Boolean(options.quiet));
  for (;;) {
    // The state first, then the events: a worker stores a job's events before its end, so once the job is
    // seen ended, the drain that follows reads every line it logged (in the other order, the last lines
    // could land between the two requests and never be printed).
    const job = await client.request<JobView>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`);
    await relay.drain();
    if (['succeeded', 'failed', 'cancelled'].includes(job.state)) {
      if (tty && !options.quiet) process.stderr.write('\r\x1b[K');
      if (job.state !== 'succeeded') {
        throw new CliError(job.error?.message ?? `Job ${id} ended ${job.state}.`, job.error?.code?.startsWith('dataset_') ? EXIT.refused : EXIT.unavailable, job.error?.code ?? `job_${job.state}`);
      }
      return job;
    }
    await sleep(pollMs);
  }
}

/** Prints a job's progress and log events to stderr, each once, in order. */
class EventRelay {
  private after = 0;
  constructor(
    private readonly client: Pick<ApiClient, 'request'>,
    private readonly id: string,
    private readonly tty: boolean,
    private readonly quiet: boolean,
  ) {}

  /** Prints every event stored so far, a page at a time. */
  async drain(): Promise<void> {
    const limit = 1000;
    for (;;) {
      const page = await this.client.request<{ items: Array<{ seq: number; kind: string; done?: number; total?: number; message?: string }> }>(
        'GET',
        `/api/v1/jobs/${encodeURIComponent(this.id)}/events?after=${this.after}&kinds=progress,log&limit=${limit}`,
      );
      for (const e of page.items) {
        this.after = e.seq;
        if (!this.quiet) this.print(e);
      }
      if (page.items.length < limit) return;
    }
  }

  private print(e: { kind: string; done?: number; total?: number; message?: string }): void {
    if (e.kind === 'progress' && e.total) {
      const pct = Math.min(100, Math.floor((100 * (e.done ?? 0)) / e.total));
      const line = `${(e.message ?? '').padEnd(10)} [${'#'.repeat(pct / 4).padEnd(25)}] ${pct}%`;
      if (this.tty) process.stderr.write(`\r${line}`);
      else if (pct % 25 === 0) process.stderr.write(`${line}\n`);
    } else if (e.kind === 'log') {
      process.stderr.write(`${this.tty ? '\r\x1b[K' : ''}${e.message}\n`);
    }
  }
}
