import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
// The module itself, not the jobs index: every handler process loads this, and the index brings the
// whole jobs domain (routes, auth) along.
import { CommandPayloadSchema, type CommandPayload } from '../../jobs/job-types.js';
import { defineHandler, type HandlerContext } from '../handler.js';
import { parseMetricLine } from './metric-line.js';

/** After the abort, the command gets this long between SIGTERM and SIGKILL. */
const TERM_GRACE_MS = 5_000;
const STDERR_TAIL_LINES = 10;

/**
 * `command` (admin only: the job type registry checks the role at submit). Runs a user's command
 * without a shell. Each stdout/stderr line becomes a log event; a line
 * `CRUCIBLE_METRIC {"name":..,"value":..,"step":..}` becomes a metric point instead. A non-zero exit
 * fails the job with the code and the last stderr lines.
 */
export default defineHandler({
  type: 'command',
  payloadSchema: CommandPayloadSchema,
  run: (ctx) => runCommand(ctx),
});

export function runCommand(ctx: HandlerContext<CommandPayload>): Promise<{ exitCode: number }> {
  const { command, env, cwd } = ctx.payload;
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: cwd ?? ctx.workDir,
      env: { ...commandEnv(process.env), ...env, CRUCIBLE_JOB_ID: ctx.jobId, CRUCIBLE_ATTEMPT: String(ctx.attempt), CRUCIBLE_WORK_DIR: ctx.workDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderrTail: string[] = [];
    const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
      const metric = parseMetricLine(line);
      if (metric) return ctx.metric(metric.name, metric.value, metric.step);
      if (stream === 'stderr') {
        stderrTail.push(line);
        if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      }
      ctx.log(stream === 'stderr' ? 'warn' : 'info', line, stream);
    };
    createInterface({ input: child.stdout }).on('line', onLine('stdout'));
    createInterface({ input: child.stderr }).on('line', onLine('stderr'));

    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), TERM_GRACE_MS);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    child.once('error', (err: NodeJS.ErrnoException) => {
      // Not found or not executable: running it again will not help.
      const retryable = err.code !== 'ENOENT' && err.code !== 'EACCES';
      reject(Object.assign(new Error(`cannot run ${command[0]}: ${err.message}`), { code: 'command_not_started', retryable }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(killTimer);
      ctx.signal.removeEventListener('abort', onAbort);
      if (ctx.signal.aborted) return reject(ctx.signal.reason);
      if (code === 0) return resolve({ exitCode: 0 });
      const how = signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
      const tail = stderrTail.length ? `; last stderr lines:\n${stderrTail.join('\n')}` : '';
      reject(Object.assign(new Error(`${command[0]} ${how}${tail}`), { code: 'command_failed', exitCode: code }));
    });
  });
}

/**
 * The worker's environment minus Crucible's own settings: a user's command gets PATH, HOME, CUDA_*
 * and the like, never the platform's database URL or S3 secret.
 */
export function commandEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('CRUCIBLE_')));
}
