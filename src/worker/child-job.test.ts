import { describe, expect, it } from 'vitest';
import { crashOutcome } from './child-job.js';

describe('crashOutcome', () => {
  it('names a full V8 heap as running out of memory, not to be retried', () => {
    const outcome = crashOutcome(null, 'SIGABRT', ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'], 256);
    expect(outcome).toMatchObject({ kind: 'crashed', retryable: false, error: { code: 'job_out_of_memory' } });
    expect(outcome.kind === 'crashed' && outcome.error.message).toContain('ran out of memory (limit 256 MB)');
  });
  it('takes a SIGKILL the worker did not send for the kernel OOM killer', () => {
    const outcome = crashOutcome(null, 'SIGKILL', [], 0);
    expect(outcome.kind === 'crashed' && outcome.error.message).toMatch(/^ran out of memory: killed by SIGKILL/);
  });
  it('reports an exit code or a signal with the last stderr lines', () => {
    const exited = crashOutcome(3, null, ['a', 'b'], 0);
    expect(exited).toMatchObject({ kind: 'crashed', retryable: true, error: { code: 'job_crashed' } });
    expect(exited.kind === 'crashed' && exited.error.message).toBe('the handler process exited with code 3 before reporting a result; last stderr lines:\na\nb');
    const signalled = crashOutcome(null, 'SIGSEGV', [], 0);
    expect(signalled.kind === 'crashed' && signalled.error.message).toBe('the handler process was killed by signal SIGSEGV before reporting a result');
  });
});
