import type { ErrorKind } from '../platform/errors.js';

/** INTERFACES.md: 0 done, 1 refused (bad input, not found, validation), 2 usage, 3 unreachable or internal. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unavailable: 3 } as const;

export function exitCodeForKind(kind: ErrorKind): number {
  return kind === 'internal' || kind === 'unavailable' ? EXIT.unavailable : EXIT.refused;
}

export function exitCodeForStatus(status: number): number {
  return status >= 500 ? EXIT.unavailable : EXIT.refused;
}
