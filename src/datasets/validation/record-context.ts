/**
 * The per-record facts that rules share (types.ts, RecordContext), each computed at most once per
 * record and only when a rule asks: raw-text facts, the normalized text, and the duplicate digest.
 * One instance is reset for every record, so nothing is allocated per record.
 */
import { normalizeText } from './normalize.js';
import { TextDigest } from './text-digest.js';
import { scanTextFacts, type TextFacts } from './text-facts.js';
import type { RecordContext } from './types.js';

/** A RecordContext reused across records: `reset` it before each. */
export class SharedRecordContext implements RecordContext {
  index = 0;
  exactDuplicate = false;
  private text = '';
  private cached: string | undefined;
  private readonly factsOut: TextFacts = { flags: 0 };
  private factsDone = false;
  private readonly digestOut = new TextDigest();
  private digestDone = false;

  /** @param wordSeed dup.near's seed when it runs (the digest then includes word hashes) */
  constructor(private readonly wordSeed: number | undefined) {}

  reset(index: number, text: string): void {
    this.index = index;
    this.text = text;
    this.cached = undefined;
    this.exactDuplicate = false;
    this.factsDone = false;
    this.digestDone = false;
  }

  normalized(): string {
    return (this.cached ??= normalizeText(this.text));
  }

  facts(): TextFacts {
    if (!this.factsDone) {
      scanTextFacts(this.text, this.factsOut);
      this.factsDone = true;
    }
    return this.factsOut;
  }

  digest(): TextDigest {
    if (!this.digestDone) {
      this.digestOut.compute(this.text, this.wordSeed);
      this.digestDone = true;
    }
    return this.digestOut;
  }
}
