import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { CliError, type GlobalOptions } from '../client.js';
import { EXIT } from '../exit-codes.js';

export function registerWorker(program: Command, globals: () => GlobalOptions): void {
  program
    .command('worker')
    .description('Run a worker: lease jobs from the queue and run them, each in its own process, until SIGTERM')
    .option('--concurrency <n>', 'jobs at once (default: worker.concurrency, 2)')
    .option('--queue <name>', 'queue name: the BullMQ prefix shared with the server (default: queue.name, "crucible")')
    .addHelpText(
      'after',
      `
Resources (cores, memory, GPUs from nvidia-smi) are detected; set CRUCIBLE_WORKER_CPU, _MEMORY_MB or _GPUS
to offer less. SIGTERM stops leasing, lets running jobs checkpoint for worker.shutdownGraceMs (30 s), and exits.

Examples:
  $ crucible worker                                   # extra local capacity beside crucible start
  $ crucible worker --concurrency 4
  $ CRUCIBLE_DATABASE_URL=postgres://db/crucible CRUCIBLE_QUEUE_DRIVER=bullmq \\
    CRUCIBLE_QUEUE_URL=redis://redis:6379 crucible worker --queue crucible   # team mode, on a GPU box
`,
    )
    .action(async (options: { concurrency?: string; queue?: string }) => {
      const overrides: Record<string, Record<string, unknown>> = {};
      if (options.concurrency !== undefined) {
        if (!/^[1-9]\d*$/.test(options.concurrency)) throw new CliError(`--concurrency must be a positive integer, not "${options.concurrency}".`, EXIT.usage, 'usage_error');
        overrides.worker = { concurrency: options.concurrency };
      }
      if (options.queue !== undefined) overrides.queue = { name: options.queue };
      const config = loadConfig({ overrides });
      // Loaded here so that other commands start fast.
      const { runWorkerProcess } = await import('../../worker/process.js');
      await runWorkerProcess(config, { quiet: globals().quiet === true });
    });
}
