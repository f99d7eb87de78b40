/** Every step kind a recipe may use, in the order the docs list them. */
import { eraseKind, type AnyStepKind } from '../types.js';
import { chunkStep } from './chunk.js';
import { cleanStep } from './clean.js';
import { dedupStep } from './dedup.js';
import { filterLengthStep } from './filter-length.js';
import { mapStep } from './map.js';
import { normalizeStep } from './normalize.js';
import { piiStep } from './pii.js';
import { renameStep } from './rename.js';
import { splitStep } from './split.js';
import { templateStep } from './template.js';
import { whereStep } from './where.js';

const ALL: AnyStepKind[] = [
  eraseKind(normalizeStep),
  eraseKind(cleanStep),
  eraseKind(filterLengthStep),
  eraseKind(dedupStep),
  eraseKind(piiStep),
  eraseKind(whereStep),
  eraseKind(mapStep),
  eraseKind(renameStep),
  eraseKind(templateStep),
  eraseKind(chunkStep),
  eraseKind(splitStep),
];

export const STEP_KINDS: ReadonlyMap<string, AnyStepKind> = new Map(ALL.map((k) => [k.kind, k]));
