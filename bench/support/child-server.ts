import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildServer<T> {
  info: T;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns `node --import tsx SCRIPT` and resolves with the JSON line it prints on stderr once listening. */
export function spawnServer<T>(script: string): Promise<ChildServer<T>> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stderr! });
    lines.once('line', (line) =>
      resolve({
        info: JSON.parse(line) as T,
        child,
        stop: () =>
          new Promise<void>((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      }),
    );
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
}
