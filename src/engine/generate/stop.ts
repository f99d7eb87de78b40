/**
 * Stop sequences over a token stream: token-id sequences, and strings matched in the detokenized text.
 * A streamed token could turn out to be the start of a stop sequence, so tokens are held back until
 * no stop match can include them; a match removes the stop sequence (and what follows) from the output.
 */

/** Turns token ids into text; must be prefix-stable (the text of a prefix is a prefix of the text). */
export type Detokenize = (ids: readonly number[]) => string;

export class StopFilter {
  /** Every token accepted so far (the output, until a stop cuts it). */
  readonly tokens: number[] = [];
  /** Tokens [0, released) are final and may be streamed. */
  released = 0;
  stopped = false;
  /** Text length after each token (with detokenize). */
  private readonly ends: number[] = [];
  private textSoFar = '';

  constructor(
    private readonly stop: readonly (readonly number[])[],
    private readonly stopText: readonly string[],
    private readonly detokenize?: Detokenize,
  ) {
    if (stopText.length > 0 && !detokenize) throw new Error('generate: stopText needs a detokenize function; pass one, or give stop sequences as token ids (stop)');
  }

  /** Adds a generated token; returns true when a stop sequence matched (the output is then cut). */
  push(id: number): boolean {
    if (this.stopped) throw new Error('StopFilter: push after a stop');
    this.tokens.push(id);
    if (this.detokenize) {
      // The one detokenization per token: the text of every prefix is a prefix of this (prefix-stable).
      this.textSoFar = this.detokenize(this.tokens);
      this.ends.push(this.textSoFar.length);
    }
    if (this.matchTokens() || this.matchText()) return (this.stopped = true);
    this.released = Math.min(this.safeByTokens(), this.safeByText());
    return false;
  }

  /** The output ended without a stop (max tokens, cancel): everything held back is final. */
  flush(): void {
    this.released = this.tokens.length;
  }

  /** The output text (cut before a text stop); '' without detokenize. */
  text(): string {
    return this.textSoFar;
  }

  /** The length of the text up to the end of token i (i < tokens.length); needs detokenize. */
  textEnd(i: number): number {
    return this.ends[i]!;
  }

  private matchTokens(): boolean {
    const t = this.tokens;
    for (const s of this.stop) {
      if (s.length > t.length) continue;
      let hit = true;
      for (let i = 0; i < s.length && hit; i++) hit = t[t.length - s.length + i] === s[i];
      if (hit) {
        t.length -= s.length;
        this.released = t.length;
        this.ends.length = t.length;
        this.textSoFar = this.textSoFar.slice(0, this.ends.at(-1) ?? 0);
        return true;
      }
    }
    return false;
  }

  private matchText(): boolean {
    if (this.stopText.length === 0) return false;
    const text = this.textSoFar;
    let at = -1;
    for (const s of this.stopText) {
      const i = text.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at < 0) return false;
    // Keep the tokens whose text ends before the stop string; the text is cut exactly there.
    let keep = 0;
    while (keep < this.tokens.length && this.ends[keep]! <= at) keep++;
    this.tokens.length = keep;
    this.ends.length = keep;
    this.released = keep;
    this.textSoFar = text.slice(0, at);
    return true;
  }

  /** Tokens before the longest output suffix that is a proper prefix of a stop sequence. */
  private safeByTokens(): number {
    const t = this.tokens;
    let hold = 0;
    for (const s of this.stop)
      for (let len = Math.min(s.length - 1, t.length); len > hold; len--) {
        let hit = true;
        for (let i = 0; i < len && hit; i++) hit = t[t.length - len + i] === s[i];
        if (hit) {
          hold = len;
          break;
        }
      }
    return t.length - hold;
  }

  /** Tokens whose text ends before the longest text suffix that is a proper prefix of a stop string. */
  private safeByText(): number {
    if (this.stopText.length === 0) return this.tokens.length;
    const text = this.textSoFar;
    let limit = text.length;
    for (const s of this.stopText)
      for (let k = Math.min(s.length - 1, text.length); k > 0; k--)
        if (text.endsWith(s.slice(0, k))) {
          limit = Math.min(limit, text.length - k);
          break;
        }
    let n = this.released;
    while (n < this.tokens.length && this.ends[n]! <= limit) n++;
    return n;
  }
}
