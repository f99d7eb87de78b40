/**
 * Ground truth computed the slow, exact way, independent of the validator's hashing and sketches:
 * exact duplicates by comparing normalized strings, near-duplicates by exact Jaccard over word
 * shingle sets (all pairs that share a shingle, through an inverted index).
 */
import type { RecordId } from '../validation/types.js';

/** NFKC, case-folded, whitespace collapsed: the normalization INTERFACES' dup.exact prescribes. */
export function referenceNormalize(text: string): string {
  return text.normalize('NFKC').toUpperCase().toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The set of word k-grams of a text (one shingle of all words when it has fewer than k). */
export function shingleSet(text: string, k: number): Set<string> {
  const words = referenceNormalize(text).match(/[\p{L}\p{N}]+/gu) ?? [];
  const out = new Set<string>();
  if (words.length === 0) return out;
  for (let i = 0; i <= Math.max(0, words.length - k); i++) out.add(words.slice(i, i + k).join(' '));
  return out;
}

/** Exact Jaccard similarity of two sets. */
export function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  const union = a.size + b.size - inter;
  return union === 0 ? 1 : inter / union;
}

/** Records (beyond the first) whose normalized text appeared before; blank texts excluded. */
export function exactDuplicateTruth(records: readonly { id: RecordId; text: string }[]): Set<RecordId> {
  const seen = new Set<string>();
  const dups = new Set<RecordId>();
  for (const r of records) {
    const n = referenceNormalize(r.text);
    if (n === '') continue;
    if (seen.has(n)) dups.add(r.id);
    else seen.add(n);
  }
  return dups;
}

/**
 * Records beyond the first of each near-duplicate cluster: connected components of the graph
 * "exact Jaccard ≥ threshold", over records that are neither blank nor exact duplicates.
 */
export function nearDuplicateTruth(records: readonly { id: RecordId; text: string }[], threshold: number, k: number): Set<RecordId> {
  const exact = exactDuplicateTruth(records);
  const eligible = records.filter((r) => !exact.has(r.id) && referenceNormalize(r.text) !== '');
  const sets = eligible.map((r) => shingleSet(r.text, k));
  const parent = eligible.map((_, i) => i);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x]!)));
  const index = new Map<string, number[]>();
  sets.forEach((set, i) => {
    if (set.size === 0) return;
    const overlap = new Map<number, number>();
    for (const sh of set) for (const j of index.get(sh) ?? []) overlap.set(j, (overlap.get(j) ?? 0) + 1);
    for (const [j, inter] of overlap) {
      if (inter / (set.size + sets[j]!.size - inter) >= threshold) {
        const [a, b] = [find(i), find(j)];
        parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
    for (const sh of set) {
      const list = index.get(sh);
      if (list) list.push(i);
      else index.set(sh, [i]);
    }
  });
  const out = new Set<RecordId>();
  eligible.forEach((r, i) => {
    if (find(i) !== i) out.add(r.id);
  });
  return out;
}
