import type { Command } from 'commander';
import type { ApiKey, CreatedKey } from '../../auth/index.js';
import { clientFor, type GlobalOptions } from '../client.js';
import { emit, table } from '../output.js';

export function registerKeys(program: Command, globals: () => GlobalOptions): void {
  const keys = program
    .command('keys')
    .description('Manage API keys (admin)')
    .addHelpText('after', '\nExamples:\n  $ crucible keys create --name ci --role editor\n  $ crucible keys list\n  $ crucible keys revoke key_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n');

  keys
    .command('create')
    .description('Create a key; it is printed once and cannot be shown again')
    .requiredOption('--name <name>', 'a name saying who or what uses the key')
    .requiredOption('--role <role>', 'viewer (read), editor (create and run) or admin')
    .addHelpText('after', '\nExamples:\n  $ crucible keys create --name ci --role editor\n  $ crucible keys create --name alice --role admin --json\n')
    .action(async (options: { name: string; role: string }) => {
      const created = await clientFor(globals()).request<CreatedKey>('POST', '/api/v1/keys', { name: options.name, role: options.role });
      emit(globals(), created, () => `Created ${created.role} key "${created.name}" (${created.id}). Store it now; it is not shown again:\n\n  ${created.key}`);
    });

  keys
    .command('list')
    .description('List keys (never their secrets)')
    .addHelpText('after', '\nExamples:\n  $ crucible keys list\n  $ crucible keys list --json\n')
    .action(async () => {
      const items = await clientFor(globals()).listAll<ApiKey>('/api/v1/keys');
      emit(globals(), { items }, () =>
        table(
          ['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
          items.map((k) => [k.id, k.name, k.role, k.prefix, k.created_at, k.last_used_at, k.revoked_at]),
        ),
      );
    });

  keys
    .command('revoke')
    .description('Revoke a key: requests with it fail from now on')
    .argument('<id>', 'the key id, as shown by crucible keys list')
    .addHelpText('after', '\nExamples:\n  $ crucible keys revoke key_01JD0Z6T9W2Q4S8Y3M6N5P7R1K\n')
    .action(async (id: string) => {
      const revoked = await clientFor(globals()).request<ApiKey>('DELETE', `/api/v1/keys/${encodeURIComponent(id)}`);
      emit(globals(), revoked, () => `Revoked key "${revoked.name}" (${revoked.id}).`);
    });
}
