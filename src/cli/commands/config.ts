import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig, redactConfig } from '../../platform/config.js';
import type { GlobalOptions } from '../client.js';
import { emit } from '../output.js';

export function registerConfig(program: Command, globals: () => GlobalOptions): void {
  program
    .command('config')
    .description('Print the effective configuration (defaults < crucible.yaml < environment), secrets redacted')
    .addHelpText('after', '\nExamples:\n  $ crucible config\n  $ crucible config --json | jq .server.port\n  $ CRUCIBLE_PORT=8080 crucible config\n')
    .action(() => {
      const config = redactConfig(loadConfig());
      emit(globals(), config, () => stringify(config).trimEnd());
    });
}
