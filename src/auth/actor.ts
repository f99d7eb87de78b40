import { ForbiddenError } from '../platform/errors.js';
import type { Role } from './schema.js';

/** Who is calling: every service method that reads or changes state takes one. */
export interface Actor {
  /** The API key id, or `system` for work the platform does itself (bootstrap, migrations). */
  id: string;
  name: string;
  role: Role;
}

export const SYSTEM_ACTOR: Actor = { id: 'system', name: 'system', role: 'admin' };

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** True when `role` grants at least what `needed` grants (admin ⊇ editor ⊇ viewer). */
export function roleAllows(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** Throws 403-kind `forbidden` unless the actor's role allows `needed`. `what` says what was attempted. */
export function requireRole(actor: Actor, needed: Role, what: string): void {
  if (!roleAllows(actor.role, needed)) {
    throw new ForbiddenError(
      'forbidden',
      `${what} needs the ${needed} role; this key has the ${actor.role} role. Ask an admin for a key with more rights.`,
      { needed, role: actor.role },
    );
  }
}
