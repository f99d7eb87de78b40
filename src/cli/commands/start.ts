import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { VERSION } from '../../platform/version.js';
import type { GlobalOptions } from '../client.js';

export function registerStart(program: Command, globals: () => GlobalOptions): void {
  program
    .command('start')
    .description('Run the platform: API, web page and embedded workers, on SQLite and local files by default')
    .option('--port <port>', 'port to listen on (default 7860, or CRUCIBLE_PORT)')
    .option('--host <host>', 'address to bind (default 127.0.0.1, or CRUCIBLE_HOST)')
    .addHelpText('after', '\nExamples:\n  $ crucible start\n  $ crucible start --port 8080 --host 0.0.0.0\n  $ CRUCIBLE_DATABASE_URL=postgres://db/crucible crucible start   # team mode\n')
    .action(async (options: { port?: string; host?: string }) => {
      const server: Record<string, unknown> = {};
      if (options.port !== undefined) server.port = options.port;
      if (options.host !== undefined) server.host = options.host;
      const config = loadConfig({ overrides: { server } });
      // Loaded here so that other commands start fast without Fastify, the db drivers and the S3 SDK.
      const { startServer } = await import('../../app/server.js');
      const running = await startServer(config);
      const quiet = globals().quiet;
      if (running.initialAdminKey) {
        // Printed once, here; the file lets the local CLI use it without copying.
        process.stderr.write(
          `\nFirst start: created an admin API key (shown once; saved to ${running.adminKeyFile} with mode 0600):\n\n  ${running.initialAdminKey}\n\n`,
        );
      }
      if (!quiet) process.stderr.write(`Crucible ${VERSION} is listening on ${running.url} (API docs: ${running.url}/api/docs)\n`);

      const shutdown = (signal: string) => {
        running.ctx.logger.info({ signal }, 'shutting down: draining requests');
        running.stop().then(
          () => process.exit(0),
          (err) => {
            running.ctx.logger.error({ err }, 'shutdown failed');
            process.exit(3);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
