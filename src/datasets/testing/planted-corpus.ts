/**
 * A seeded, offline generator of an English-ish corpus with KNOWN planted problems and their
 * ground truth, for measuring the validator's precision and recall:
 *  - exact duplicates, including case, whitespace and Unicode-compatibility variants;
 *  - near-duplicates: long records (60+ words) with a few words replaced, inserted or deleted,
 *    kept when their exact word-5-gram Jaccard with the original is in [nearMin, 0.99];
 *  - near-misses: heavier edits with Jaccard in [0.35, nearMissMax], which must NOT be flagged;
 *  - PII of every kind in sentences (cards and IBANs with valid checksums), and hard negatives;
 *  - blank records and encoding damage.
 * Duplicate truth is recomputed exactly over the final corpus (reference-truth.ts), so accidental
 * duplicates among the random records count too; PII truth is what was planted.
 */
import { PII_KINDS, type PiiKind } from '../validation/config.js';
import type { DatasetRecord, RecordId } from '../validation/types.js';
import { hardNegativeSentence, piiSentence } from './pii-samples.js';
import { exactDuplicateTruth, jaccard, nearDuplicateTruth, referenceNormalize, shingleSet } from './reference-truth.js';
import { Rng } from './rng.js';
import { paragraph, randomWord } from './vocabulary.js';

export type PlantedKind =
  | 'empty'
  | 'dup.exact'
  | 'dup.near'
  | `pii.${PiiKind}`
  | 'encoding.replacement_char'
  | 'encoding.control_chars'
  | 'encoding.mojibake';

export interface PlantedCorpusOptions {
  seed: number;
  /** Ordinary records (a few of them long). */
  baseRecords: number;
  /** Extra copies of earlier records, exact after normalization. */
  exactCopies: number;
  /** Originals that get near-duplicate variants (1–3 each). */
  nearGroups: number;
  /** Originals that get one heavily edited variant below the threshold. */
  nearMisses: number;
  /** Records carrying each PII kind. */
  piiPerKind: number;
  /** Records with PII look-alikes only. */
  hardNegatives: number;
  /** Records per encoding problem, and blank records. */
  encodingPerKind: number;
  blanks: number;
  /** Jaccard threshold the truth is computed at, and word shingle size. */
  threshold: number;
  shingleWords: number;
  /** Planted near-duplicates have Jaccard ≥ nearMin; near-misses ≤ nearMissMax. */
  nearMin: number;
  nearMissMax: number;
}

export const DEFAULT_PLANTED_OPTIONS: PlantedCorpusOptions = {
  seed: 42,
  baseRecords: 2000,
  exactCopies: 150,
  nearGroups: 90,
  nearMisses: 60,
  piiPerKind: 50,
  hardNegatives: 250,
  encodingPerKind: 10,
  blanks: 12,
  threshold: 0.8,
  shingleWords: 5,
  nearMin: 0.85,
  nearMissMax: 0.72,
};

export interface PlantedCorpus {
  records: DatasetRecord[];
  /** Record ids that each rule should flag (for duplicates: the records beyond the first). */
  truth: Record<PlantedKind, Set<RecordId>>;
  /** Exact Jaccard of each planted near-duplicate and near-miss with its original. */
  plantedSimilarities: { nearDuplicates: number[]; nearMisses: number[] };
  options: PlantedCorpusOptions;
}

interface Item {
  text: string;
  planted?: PlantedKind;
}

/** Generate a corpus with planted problems and its ground truth. Deterministic for a seed. */
export function generatePlantedCorpus(overrides: Partial<PlantedCorpusOptions> = {}): PlantedCorpus {
  const o = { ...DEFAULT_PLANTED_OPTIONS, ...overrides };
  const rng = new Rng(o.seed);
  const used = new Set<string>();
  const unique = (make: () => string): string => {
    for (;;) {
      const t = make();
      const n = referenceNormalize(t);
      if (!used.has(n)) {
        used.add(n);
        return t;
      }
    }
  };
  const ordinary = (): string => paragraph(rng, rng.chance(0.15) ? rng.int(7, 14) : rng.int(1, 5));
  const long = (): string => paragraph(rng, rng.int(7, 14));

  const items: Item[] = [];
  for (let i = 0; i < o.baseRecords; i++) items.push({ text: unique(ordinary) });

  // Near-duplicate groups and near-misses: variants at random positions, before or after.
  const nearDuplicates: number[] = [];
  const nearMisses: number[] = [];
  for (let g = 0; g < o.nearGroups + o.nearMisses; g++) {
    const miss = g >= o.nearGroups;
    const original = unique(long);
    items.splice(rng.int(0, items.length), 0, { text: original });
    const variants = miss ? 1 : rng.int(1, 3);
    for (let v = 0; v < variants; v++) {
      const [text, sim] = editUntil(rng, original, o.shingleWords, miss ? [0.35, o.nearMissMax] : [o.nearMin, 0.99], miss ? [6, 16] : [1, 3]);
      if (used.has(referenceNormalize(text))) continue;
      used.add(referenceNormalize(text));
      (miss ? nearMisses : nearDuplicates).push(sim);
      items.splice(rng.int(0, items.length), 0, { text });
    }
  }

  // Exact copies, always after their original, with normalization-invisible changes.
  for (let c = 0; c < o.exactCopies; c++) {
    const at = rng.int(0, items.length - 1);
    const original = items[at]!;
    if (original.planted !== undefined) continue;
    items.splice(rng.int(at + 1, items.length), 0, { text: exactVariant(rng, original.text) });
  }

  // PII, hard negatives, encoding damage, blanks: fresh records at random positions.
  const place = (text: string, planted?: PlantedKind): void => {
    items.splice(rng.int(0, items.length), 0, planted === undefined ? { text } : { text, planted });
  };
  for (const kind of PII_KINDS) {
    for (let i = 0; i < o.piiPerKind; i++) place(unique(() => insertSentence(rng, paragraph(rng, rng.int(1, 4)), piiSentence(kind, rng))), `pii.${kind}`);
  }
  for (let i = 0; i < o.hardNegatives; i++) {
    place(unique(() => insertSentence(rng, insertSentence(rng, paragraph(rng, rng.int(1, 3)), hardNegativeSentence(rng)), hardNegativeSentence(rng))));
  }
  const damage: [PlantedKind, (t: string) => string][] = [
    ['encoding.mojibake', (t) => insertSentence(rng, t, rng.pick(['The cafÃ© was closed.', 'We donâ€™t know yet.', 'It costs 5 â‚¬ now.', 'SeÃ±or Ruiz agreed.']))],
    ['encoding.replacement_char', (t) => insertSentence(rng, t, rng.pick(['The caf\uFFFD was closed.', 'Se\uFFFD\uFFFDor Ruiz agreed.']))],
    ['encoding.control_chars', (t) => insertSentence(rng, t, rng.pick(['Column\u0007 two.', 'Broken\u0000byte here.', 'Page\u000Cbreak.', 'Odd\u0085mark.']))],
  ];
  for (const [kind, damageText] of damage) {
    for (let i = 0; i < o.encodingPerKind; i++) place(unique(() => damageText(paragraph(rng, rng.int(1, 3)))), kind);
  }
  for (let i = 0; i < o.blanks; i++) place(rng.pick(['', ' ', '\n', '\t \n  ', '\u00A0']), 'empty');

  const records: DatasetRecord[] = items.map((it, i) => ({ id: `doc-${String(i).padStart(6, '0')}`, text: it.text }));
  const truth = Object.fromEntries(
    ['empty', 'dup.exact', 'dup.near', ...PII_KINDS.map((k) => `pii.${k}`), 'encoding.replacement_char', 'encoding.control_chars', 'encoding.mojibake'].map((k) => [k, new Set<RecordId>()]),
  ) as Record<PlantedKind, Set<RecordId>>;
  items.forEach((it, i) => {
    if (it.planted !== undefined) truth[it.planted].add(records[i]!.id);
  });
  truth['dup.exact'] = exactDuplicateTruth(records);
  truth['dup.near'] = nearDuplicateTruth(records, o.threshold, o.shingleWords);
  return { records, truth, plantedSimilarities: { nearDuplicates, nearMisses }, options: o };
}

/** Insert a sentence between two sentences of a text (or at an end). */
function insertSentence(rng: Rng, text: string, extra: string): string {
  const parts = text.split(/(?<=[.?!]) /);
  parts.splice(rng.int(0, parts.length), 0, extra);
  return parts.join(' ');
}

/** A copy that normalizes to the same text: case, whitespace, compatibility characters. */
function exactVariant(rng: Rng, text: string): string {
  return rng.pick([
    () => text,
    () => text.toUpperCase(),
    () => `  ${text.replace(/ /g, () => rng.pick([' ', '  ', '\n', '\t']))}\n`,
    () => text.replace(/fi/g, '\uFB01').replace(/ /g, '\u00A0'), // ligature ﬁ and no-break spaces (NFKC folds both)
    () => text.replace(/[a-e]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)), // fullwidth letters
  ])();
}

/** Word edits (replace, insert, delete) until the exact shingle Jaccard lands in `range`. */
function editUntil(rng: Rng, original: string, k: number, range: [number, number], edits: [number, number]): [string, number] {
  const base = shingleSet(original, k);
  for (let attempt = 0; ; attempt++) {
    const words = original.split(' ');
    const n = rng.int(edits[0], edits[1] + Math.floor(attempt / 20));
    for (let e = 0; e < n; e++) {
      const at = rng.int(1, words.length - 2);
      const op = rng.int(0, 2);
      if (op === 0) words[at] = randomWord(rng);
      else if (op === 1) words.splice(at, 0, randomWord(rng));
      else words.splice(at, 1);
    }
    const text = words.join(' ');
    const sim = jaccard(base, shingleSet(text, k));
    if (sim >= range[0] && sim <= range[1]) return [text, sim];
    if (attempt > 200) throw new Error(`planted corpus: no edit of the original reaches Jaccard in [${range[0]}, ${range[1]}] after 200 tries`);
  }
}

