/**
 * `dup.near`: records whose word-shingle Jaccard similarity with another record reaches the
 * threshold (0.8 by default), found with MinHash + LSH and grouped into clusters by union-find.
 *
 * Per record: shingles → signature (minhash.ts) → b band keys (lsh.ts). Each band key maps to the
 * newest record that had it, and each (record, band) links to the previous one: an LSH bucket as a
 * chain. A new record is a candidate pair with the earlier members of its buckets (the newest
 * MAX_CHAIN of each, skipping those already in its cluster), verified on the stored b-bit
 * signatures (signature-store.ts), and merged into their clusters.
 *
 * Overlap with dup.exact: a record that is an exact duplicate of an earlier one is counted there
 * and skipped here (it would add nothing: its signature equals its original's). So `count` is the
 * records beyond the first of each cluster among records that are not exact duplicates, and the
 * two counts add up to the records a keep-first dedup of both kinds would drop.
 *
 * Memory per record: numPerm bytes of signature (128) + ≤ b table entries (≈ 11 bytes each at
 * 70% load) + b chain links (4 bytes each) + 4 bytes of union-find + its id: about 330 bytes at
 * the defaults (b = 12).
 */
import type { ValidationConfig } from './config.js';
import { records } from './finding-collector.js';
import { LatestHolderMap } from './hash-table.js';
import { bandKey, chooseBanding, type Banding } from './lsh.js';
import { MinHasher } from './minhash.js';
import { hashShingles, hashWords, U32Buffer } from './shingles.js';
import { SignatureStore } from './signature-store.js';
import { UnionFind } from './union-find.js';
import { isBlank } from './empty.js';
import type { DatasetRecord, Finding, RecordContext, RecordId, Rule } from './types.js';

export interface NearDuplicateOptions {
  threshold: number;
  shingleWords: number;
  numPerm: number;
  banding: Banding;
  seed: number;
}

/**
 * Earlier bucket members checked per band. Buckets of unrelated texts hold one record; a long
 * chain means many near-identical records, which are already one cluster after a few checks.
 */
const MAX_CHAIN = 8;

/** Streaming near-duplicate index: add records one by one, then read clusters. */
export class NearDuplicateIndex {
  private readonly words = new U32Buffer();
  private readonly shingles = new U32Buffer();
  private readonly signature: Uint32Array;
  private readonly minHasher: MinHasher;
  private readonly store: SignatureStore;
  private readonly buckets = new LatestHolderMap(1 << 14);
  /** previous[x·b + band]: the bucket member before x in that band, or −1. */
  private previous = new Int32Array(1 << 12);
  private readonly sets = new UnionFind();
  private readonly checked: Int32Array;
  /** Pairs verified and merged, and pairs that shared a band but fell below the threshold. */
  verified = 0;
  rejected = 0;

  constructor(readonly options: NearDuplicateOptions) {
    this.signature = new Uint32Array(options.numPerm);
    this.minHasher = new MinHasher(options.numPerm, options.seed);
    this.store = new SignatureStore(options.numPerm);
    this.checked = new Int32Array(options.banding.bands * MAX_CHAIN);
  }

  /**
   * Add a normalized text; returns its position in the index, or -1 when it has no words. The
   * record is merged with every earlier record it shares a band with and is similar enough to.
   */
  add(normalized: string): number {
    const { shingleWords, banding, threshold, seed } = this.options;
    hashWords(normalized, seed, this.words);
    hashShingles(this.words, shingleWords, this.shingles);
    if (!this.minHasher.signature(this.shingles, this.signature)) return -1;
    const x = this.store.add(this.signature);
    this.sets.add();
    const bands = banding.bands;
    if ((x + 1) * bands > this.previous.length) {
      const bigger = new Int32Array(this.previous.length * 2);
      bigger.set(this.previous);
      this.previous = bigger;
    }
    let nChecked = 0;
    for (let band = 0; band < bands; band++) {
      let member = this.buckets.put(bandKey(this.signature, band, banding.rows, seed), x);
      this.previous[x * bands + band] = member;
      for (let hops = 0; member >= 0 && hops < MAX_CHAIN; hops++, member = this.previous[member * bands + band]!) {
        let seen = false;
        for (let i = 0; i < nChecked; i++) if (this.checked[i] === member) seen = true;
        if (seen) continue;
        this.checked[nChecked++] = member;
        if (this.sets.find(member) === this.sets.find(x)) continue;
        if (this.store.similarity(x, member) >= threshold) {
          this.sets.union(x, member);
          this.verified++;
        } else this.rejected++;
      }
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

  /** Approximate bytes held by the index. */
  get bytes(): number {
    return this.store.bytes + this.buckets.bytes + this.previous.byteLength + this.sets.bytes;
  }
}

/** Resolve the configured banding, choosing one from the threshold when none is given. */
export function nearDuplicateOptions(config: ValidationConfig): NearDuplicateOptions {
  const c = config.rules['dup.near'];
  const banding = c.bands !== undefined && c.rows !== undefined ? { bands: c.bands, rows: c.rows } : chooseBanding(c.threshold, c.numPerm);
  return { threshold: c.threshold, shingleWords: c.shingleWords, numPerm: c.numPerm, banding, seed: c.seed };
}

/** `dup.near`. Skips records that dup.exact marked (see the file comment on overlap). */
export function nearDuplicateRule(config: ValidationConfig): Rule {
  const options = nearDuplicateOptions(config);
  const index = new NearDuplicateIndex(options);
  // Every indexed record's id: cluster membership is only known at the end.
  const ids: RecordId[] = [];
  const { severity } = config.rules['dup.near'];
  return {
    ids: ['dup.near'],
    observe(record: DatasetRecord, ctx: RecordContext) {
      if (ctx.exactDuplicate || isBlank(record.text)) return;
      if (index.add(ctx.normalized()) >= 0) ids.push(record.id);
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
        if (examples.length < config.maxExamples) examples.push(ids[x]!);
      }
      if (count === 0) return [];
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
            `of an earlier record, in ${clusterSizes.size} cluster${clusterSizes.size === 1 ? '' : 's'} (largest: ${largest} records); exact duplicates are counted under dup.exact, not here.`,
          fix: 'Deduplicate keeping the first record of each cluster (transform step `dedup: {near: {threshold: ' + options.threshold + '}}`).',
        },
      ];
    },
  };
}
