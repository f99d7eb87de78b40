import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JobError, Json } from '../platform/queue/index.js';
import type { JobEventInput } from './events.js';
import type { AbortCode, FromRunner, ToRunner, WireError } from './messages.js';

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'runner.ts');
// Absolute, so a worker started from any directory can load TypeScript handlers.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const STDERR_TAIL_LINES = 20;

/** How a run ended, as far as the child process can tell. */
export type ChildOutcome =
  | { kind: 'done'; result: Json | null }
  | { kind: 'error'; error: WireError }
  /** Died without reporting: exit code, signal, out of memory. */
  | { kind: 'crashed'; error: JobError; retryable: boolean }
  /** Hard-killed by the worker (abort grace over, lease lost): the worker knows why. */
  | { kind: 'killed' };

export interface ChildJobOptions {
  modulePath: string;
  jobId: string;
  jobType: string;
  payload: Json;
  attempt: number;
  workDir: string;
  /** The V8 heap limit of the child (--max-old-space-size); 0: Node's default. */
  memoryMb: number;
  /** Added to the worker's environment (e.g. CUDA_VISIBLE_DEVICES for the GPUs given to this job). */
  env?: Record<string, string>;
  onEvent(event: JobEventInput): void;
}

/**
 * One attempt of one job, in its own process (runner.ts). The child is forked detached so that it
 * leads a process group: a hard kill ends the handler and everything it spawned.
 */
export class ChildJob {
  readonly outcome: Promise<ChildOutcome>;
  private readonly child: ChildProcess;
  private killedByUs = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ChildJobOptions) {
    const memoryFlag = options.memoryMb > 0 ? [`--max-old-space-size=${options.memoryMb}`] : [];
    this.child = fork(RUNNER, [], {
      execArgv: ['--import', TSX, ...memoryFlag],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
      env: { ...process.env, ...options.env },
    });
    this.outcome = this.watch();
    this.send({
      type: 'run',
      modulePath: options.modulePath,
      jobId: options.jobId,
      jobType: options.jobType,
      payload: options.payload,
      attempt: options.attempt,
      workDir: options.workDir,
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Cooperative: the handler's signal aborts; after `graceMs` the process group is killed. */
  abort(code: AbortCode, graceMs: number): void {
    this.send({ type: 'abort', code });
    this.killTimer ??= setTimeout(() => this.kill(), graceMs);
  }

  /** SIGKILL to the whole process group; the outcome becomes `killed`. */
  kill(): void {
    this.killedByUs = true;
    this.killGroup();
  }

  private send(message: ToRunner): void {
    if (this.child.connected) this.child.send(message, (err) => void err /* the child is gone: its exit tells */);
  }

  private killGroup(): void {
    try {
      if (this.child.pid) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // ESRCH: already gone.
    }
  }

  private watch(): Promise<ChildOutcome> {
    const stderrTail: string[] = [];
    let reported: ChildOutcome | undefined;
    this.child.on('message', (message: FromRunner) => {
      if (message.type === 'event') this.options.onEvent(message.event);
      else if (message.type === 'done') reported ??= { kind: 'done', result: message.result };
      else if (message.type === 'error') reported ??= { kind: 'error', error: message.error };
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) =>
      this.options.onEvent({ kind: 'log', level: 'info', message: line, stream: 'stdout' }),
    );
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      this.options.onEvent({ kind: 'log', level: 'warn', message: line, stream: 'stderr' });
    });
    return new Promise((resolve) => {
      this.child.once('error', (err) => {
        // fork itself failed (no such file, too many processes): nothing ran.
        resolve({ kind: 'crashed', error: { message: `could not start the handler process: ${err.message}`, code: 'job_crashed' }, retryable: true });
      });
      this.child.once('exit', () => {
        // Whatever the handler left running in its group goes with it.
        clearTimeout(this.killTimer);
        this.killGroup();
      });
      this.child.once('close', (code, signal) => {
        if (reported) return resolve(reported);
        if (this.killedByUs) return resolve({ kind: 'killed' });
        resolve(crashOutcome(code, signal, stderrTail, this.options.memoryMb));
      });
    });
  }
}

/** A clear reason for a child that died without reporting. */
export function crashOutcome(code: number | null, signal: NodeJS.Signals | null, stderrTail: string[], memoryMb: number): ChildOutcome {
  const limit = memoryMb > 0 ? ` (limit ${memoryMb} MB)` : '';
  const heapExhausted = stderrTail.some((line) => /heap out of memory|Reached heap limit|Allocation failed/i.test(line));
  // A SIGKILL we did not send is the kernel's OOM killer in practice.
  if (heapExhausted || signal === 'SIGKILL') {
    const how = heapExhausted ? 'the JavaScript heap is full' : 'killed by SIGKILL, most likely by the kernel';
    return {
      kind: 'crashed',
      error: { message: `ran out of memory${limit}: ${how}. Give the job more memory (resources.memoryMb) or make it use less.`, code: 'job_out_of_memory' },
      // The same job with the same limit would only run out again.
      retryable: false,
    };
  }
  const tail = stderrTail.slice(-5).join('\n');
  const how = signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
  return {
    kind: 'crashed',
    error: { message: `the handler process ${how} before reporting a result${tail ? `; last stderr lines:\n${tail}` : ''}`, code: 'job_crashed' },
    retryable: true,
  };
}
