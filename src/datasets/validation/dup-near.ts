/**
 * `dup.near`: records whose word-shingle Jaccard similarity with another record reaches the
 * threshold (0.8 by default), found with MinHash + LSH and grouped into clusters by union-find.
 *
 * Per record: shingles → signature (minhash.ts) → one key per LSH band over its whole 32-bit
 * values → one bucket table per band (lsh.ts) mapping a key to the records that hold it; the
 * signature itself is kept as 2-bit values (signature-store.ts), enough to verify candidates. A
 * new record is a candidate pair with every holder of each of its band keys, verified on the
 * stored signatures and merged into that holder's cluster when similar enough, and then holds
 * its keys itself (at most MAX_HOLDERS records per key, which bounds the work per record where
 * boilerplate crowds a key). Every record holding its keys, not only the first of a cluster, is
 * what lets a later copy that resembles an edited copy, but no longer the original, find it.
 *
 * Overlap with dup.exact: a record that is an exact duplicate of an earlier one is counted there
 * and skipped here (it would add nothing: its signature equals its original's). So `count` is the
 * records beyond the first of each cluster among records that are not exact duplicates, and the
 * two counts add up to the records a keep-first dedup of both kinds would drop.
 *
 * Memory per record at the defaults (K = 128, 5 bands × 3 rows): 32 bytes of signature, 5 × (4
 * bytes of band key + 6–11 of bucket slot at the tables' load), 4–8 of union-find and 4 of
 * record id: about 90–120 bytes, so the 1.4M records of a 1 GB JSONL take ≈ 130 MB. `maxRecords`
 * caps it; records past the cap are not indexed.
 */
import type { ValidationConfig } from './config.js';
import { records } from './finding-collector.js';
import { BandTable, bandKey, chooseBanding, MAX_BAND_POSITIONS, type Banding } from './lsh.js';
import { MinHasher } from './minhash.js';
import { RecordIdColumn } from './record-id-column.js';
import { hashShingles, hashWords, U32Buffer } from './shingles.js';
import { SignatureStore } from './signature-store.js';
import { UnionFind } from './union-find.js';
import { isBlank } from './empty.js';
import { slotsFor } from './hash-table.js';
import type { DatasetRecord, Finding, RecordContext, RecordId, Rule } from './types.js';

/** Records held per band key; a key held by this many takes no more holders. */
export const MAX_HOLDERS = 8;

export interface NearDuplicateOptions {
  threshold: number;
  shingleWords: number;
  numPerm: number;
  banding: Banding;
  seed: number;
}

/** Streaming near-duplicate index: add records one by one, then read clusters. */
export class NearDuplicateIndex {
  /** Records one index can hold: the band tables address positions 0 … MAX_BAND_POSITIONS (2^24 − 2). */
  static readonly capacity = MAX_BAND_POSITIONS + 1;
  private readonly words = new U32Buffer();
  private readonly shingles = new U32Buffer();
  private readonly signature: Uint32Array;
  private readonly minHasher: MinHasher;
  private readonly store: SignatureStore;
  private readonly tables: BandTable[];
  private readonly sets: UnionFind;
  /** Holders already compared with the record being added (a pair may share several bands). */
  private readonly checked: Int32Array;
  private readonly holders = new Int32Array(MAX_HOLDERS);
  /** Pairs verified and merged, and pairs that shared a band but fell below the threshold. */
  verified = 0;
  rejected = 0;

  /** @param expectedRecords records to size the tables for up front (0: they start small and grow) */
  constructor(
    readonly options: NearDuplicateOptions,
    expectedRecords = 0,
  ) {
    this.sets = new UnionFind(expectedRecords);
    this.signature = new Uint32Array(options.numPerm);
    this.minHasher = new MinHasher(options.numPerm, options.seed);
    this.store = new SignatureStore(options.numPerm);
    this.checked = new Int32Array(options.banding.bands * MAX_HOLDERS);
    this.tables = Array.from({ length: options.banding.bands }, () => new BandTable(Math.max(1 << 12, slotsFor(expectedRecords))));
  }

  /**
   * Add a normalized text; returns its position in the index, or -1 when it has no words. The
   * record is merged with every earlier record it shares a band with and is similar enough to.
   */
  add(normalized: string): number {
    hashWords(normalized, this.options.seed, this.words);
    return this.addWords(this.words);
  }

  /**
   * Add a record by the hashes of its normalized words (`hashWords(normalized, options.seed)`,
   * or a TextDigest's words, which are the same without building the normalized string).
   */
  addWords(words: U32Buffer): number {
    const { shingleWords, banding, threshold, seed } = this.options;
    hashShingles(words, shingleWords, this.shingles);
    if (!this.minHasher.signature(this.shingles, this.signature)) return -1;
    const x = this.store.add(this.signature);
    this.sets.add();
    let nChecked = 0;
    for (let band = 0; band < banding.bands; band++) {
      const key = bandKey(this.signature, band, banding.rows, seed);
      const table = this.tables[band]!;
      const n = table.holdersOf(key, this.holders);
      for (let h = 0; h < n; h++) {
        const holder = this.holders[h]!;
        let seen = false;
        for (let i = 0; i < nChecked; i++) if (this.checked[i] === holder) seen = true;
        if (seen) continue;
        this.checked[nChecked++] = holder;
        if (this.sets.find(holder) === this.sets.find(x)) continue;
        if (this.store.similarity(x, holder) >= threshold) {
          this.sets.union(x, holder);
          this.verified++;
        } else {
          this.rejected++;
        }
      }
      if (n < MAX_HOLDERS) table.insert(key, x);
    }
    return x;
  }

  /** Estimated Jaccard between two added records. */
  similarity(a: number, b: number): number {
    return this.store.similarity(a, b);
  }

  /** Number of records added. */
  get size(): number {
    return this.sets.size;
  }

  /** The first record (smallest position) of x's cluster. */
  clusterOf(x: number): number {
    return this.sets.find(x);
  }

  /**
   * True when x, just added, joined a cluster that started earlier: what a streaming keep-first
   * near-dedup (the transform step) drops. Asked later, it also covers records linked afterwards.
   */
  repeatsEarlier(x: number): boolean {
    return this.sets.find(x) < x;
  }

  /** Approximate bytes held by the index. */
  get bytes(): number {
    return this.store.bytes + this.tables.reduce((sum, t) => sum + t.bytes, 0) + this.sets.bytes;
  }
}

/** Resolve the configured banding, choosing one from the threshold when none is given. */
export function nearDuplicateOptions(config: ValidationConfig): NearDuplicateOptions {
  const c = config.rules['dup.near'];
  const banding = c.bands !== undefined && c.rows !== undefined ? { bands: c.bands, rows: c.rows } : chooseBanding(c.threshold, c.numPerm);
  return { threshold: c.threshold, shingleWords: c.shingleWords, numPerm: c.numPerm, banding, seed: c.seed };
}

/** `dup.near`. Skips records that dup.exact marked (see the file comment on overlap). */
export function nearDuplicateRule(config: ValidationConfig, expectedRecords = 0): Rule {
  const options = nearDuplicateOptions(config);
  const { severity, maxRecords } = config.rules['dup.near'];
  const limit = Math.min(maxRecords, NearDuplicateIndex.capacity);
  const index = new NearDuplicateIndex(options, Math.min(expectedRecords, limit));
  // Every indexed record's id: cluster membership is only known at the end.
  const ids = new RecordIdColumn();
  let notIndexed = 0;
  return {
    ids: ['dup.near'],
    observe(record: DatasetRecord, ctx: RecordContext) {
      if (ctx.exactDuplicate || isBlank(record.text)) return;
      if (index.size >= limit) {
        notIndexed++;
        return;
      }
      if (index.addWords(ctx.digest().words) >= 0) ids.push(record.id);
    },
    finish(): Finding[] {
      const examples: RecordId[] = [];
      let count = 0;
      const clusterSizes = new Map<number, number>();
      for (let x = 0; x < index.size; x++) {
        const root = index.clusterOf(x);
        if (root === x) continue;
        count++;
        clusterSizes.set(root, (clusterSizes.get(root) ?? 1) + 1);
        if (examples.length < config.maxExamples) examples.push(ids.get(x));
      }
      const coverage = notIndexed === 0 ? '' : ` Only the first ${limit} records were searched (dup.near.maxRecords); ${notIndexed} later records were not.`;
      if (count === 0) {
        return notIndexed === 0
          ? []
          : [{ rule: 'dup.near', severity: 'info', count: 0, examples: [], message: `No near-duplicates among the records searched.${coverage}`, fix: 'Raise dup.near.maxRecords if the memory allows (about 120 bytes per record).' }];
      }
      let largest = 0;
      for (const size of clusterSizes.values()) largest = Math.max(largest, size);
      const { bands, rows } = options.banding;
      return [
        {
          rule: 'dup.near',
          severity,
          count,
          examples,
          message:
            `${records(count)} are near-duplicates (word ${options.shingleWords}-gram Jaccard ≥ ${options.threshold}, MinHash ${options.numPerm} × LSH ${bands}×${rows}) ` +
            `of an earlier record, in ${clusterSizes.size} cluster${clusterSizes.size === 1 ? '' : 's'} (largest: ${largest} records); exact duplicates are counted under dup.exact, not here.${coverage}`,
          fix: 'Deduplicate keeping the first record of each cluster (transform step `dedup: {near: {threshold: ' + options.threshold + '}}`).',
        },
      ];
    },
  };
}
