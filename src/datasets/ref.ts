import { ValidationError } from '../platform/errors.js';
import { DatasetNameSchema } from './schema.js';

/** A dataset REF: `name@3`, or `name` (the latest version). */
export interface DatasetRef {
  name: string;
  version: number | 'latest';
}

/** Parses `name@3` / `name@latest` / `name`; ValidationError `dataset_ref_invalid` otherwise. */
export function parseDatasetRef(ref: string): DatasetRef {
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const tail = at < 0 ? 'latest' : ref.slice(at + 1);
  const version = tail === 'latest' ? 'latest' : /^[1-9]\d{0,8}$/.test(tail) ? Number(tail) : NaN;
  if (!DatasetNameSchema.safeParse(name).success || Number.isNaN(version)) {
    throw new ValidationError('dataset_ref_invalid', `"${ref}" is not a dataset REF: write name@VERSION (e.g. corpus@3) or name for the latest version.`, { ref });
  }
  return { name, version };
}

export function formatRef(name: string, version: number): string {
  return `${name}@${version}`;
}
