import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'bin/crucible.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `crucible ARGS` as a user would, in `cwd`, with only the given CRUCIBLE_* environment. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export interface StartedServer {
  process: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  msToListen: number;
}

/** `crucible start --port 0`, resolved once it says where it listens. */
export function startCliServer(options: { cwd: string; env?: Record<string, string> }): Promise<StartedServer> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'start', '--port', '0'], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CRUCIBLE_LOG_LEVEL: 'warn', ...options.env },
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${stderr}`)), 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({ process: child, url: match[1]!, stderr: () => stderr, msToListen: Date.now() - started });
      }
    });
    child.stdout.resume();
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${stderr}`));
    });
  });
}

/** SIGTERM, then the exit code (or null when it had to be killed). */
export function stopCliServer(server: StartedServer, timeoutMs = 15_000): Promise<number | null> {
  return new Promise((resolve) => {
    if (server.process.exitCode !== null) return resolve(server.process.exitCode);
    const timer = setTimeout(() => {
      server.process.kill('SIGKILL');
      resolve(null);
    }, timeoutMs);
    server.process.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    server.process.kill('SIGTERM');
  });
}
