/**
 * The child process that runs one job's handler (forked by child-job.ts with the job's memory limit).
 * It talks to the worker over IPC only (messages.ts) and needs no db: events and the result travel
 * to the worker, which records them. If the worker goes away, the runner takes its process group
 * (itself and anything the handler spawned) down with it, so an orphan can never publish outputs of
 * a job that another worker now owns.
 */
import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { JobEventInput } from './events.js';
import type { HandlerContext, JobHandler } from './handler.js';
import { toWireError, type FromRunner, type ToRunner } from './messages.js';

const controller = new AbortController();
let started = false;
let finished = false;

function send(message: FromRunner): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

function emit(event: JobEventInput): void {
  void send({ type: 'event', event });
}

async function finish(message: FromRunner): Promise<void> {
  if (finished) return;
  finished = true;
  await send(message);
  process.exit(0);
}

async function loadHandler(modulePath: string, jobType: string): Promise<JobHandler> {
  const mod = (await import(pathToFileURL(modulePath).href)) as { default?: JobHandler; handler?: JobHandler };
  const handler = mod.default ?? mod.handler;
  if (!handler || typeof handler.run !== 'function' || !handler.payloadSchema) {
    throw Object.assign(new Error(`${modulePath} exports no job handler ({ type, payloadSchema, run })`), { code: 'handler_invalid', retryable: false });
  }
  if (handler.type !== jobType) {
    throw Object.assign(new Error(`${modulePath} handles "${handler.type}", not "${jobType}"`), { code: 'handler_invalid', retryable: false });
  }
  return handler;
}

async function run(message: Extract<ToRunner, { type: 'run' }>): Promise<void> {
  const handler = await loadHandler(message.modulePath, message.jobType);
  const parsed = handler.payloadSchema.safeParse(message.payload);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
    throw Object.assign(new Error(`Invalid payload for ${message.jobType}: ${where}`), { code: 'job_payload_invalid', retryable: false });
  }
  mkdirSync(message.workDir, { recursive: true });
  const ctx: HandlerContext<unknown> = {
    jobId: message.jobId,
    attempt: message.attempt,
    payload: parsed.data,
    signal: controller.signal,
    workDir: message.workDir,
    log: (level, text, stream) => emit({ kind: 'log', level, message: text, ...(stream ? { stream } : {}) }),
    metric: (name, value, step) => emit({ kind: 'metric', name, value, step }),
    progress: (done, total, text) =>
      emit({ kind: 'progress', done, ...(total !== undefined ? { total } : {}), ...(text !== undefined ? { message: text } : {}) }),
    emit,
  };
  const result = await handler.run(ctx);
  await finish({ type: 'done', result: result ?? null });
}

process.on('message', (message: ToRunner) => {
  if (message.type === 'abort') {
    const reason = Object.assign(new Error(`aborted: ${message.code}`), { name: 'AbortError', code: message.code });
    controller.abort(reason);
  } else if (message.type === 'run' && !started) {
    started = true;
    run(message).catch((err: unknown) => finish({ type: 'error', error: toWireError(err) }));
  }
});

// Errors a handler leaves behind (an unawaited promise, a throwing timer) end the attempt, reported.
process.on('uncaughtException', (err) => void finish({ type: 'error', error: toWireError(err) }));
process.on('unhandledRejection', (err) => void finish({ type: 'error', error: toWireError(err) }));

process.on('disconnect', () => {
  if (finished) return;
  // Forked detached, so we lead a process group: this also ends what the handler spawned.
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(1);
  }
});
