import { describe, expect, it } from 'vitest';
import { PII_KINDS } from './config.js';
import { hasControlChars, hasMojibake, hasReplacementChar } from './encoding.js';
import { hardNegativeSentence, piiSentence } from '../testing/pii-samples.js';
import { Rng } from '../testing/rng.js';
import { couldContain } from './pii/cues.js';
import { piiDetectors } from './pii/detectors.js';
import { CONTROL, MOJIBAKE_LEAD, NON_ASCII, REPLACEMENT, scanTextFacts } from './text-facts.js';

const ALPHABET = 'aZ09 \t\n\v.:-@_+/=\u0000\u007f\u0085\uFFFDÃ©â€™éK';

function mutate(rng: Rng, text: string): string {
  // Random edits keep the samples close to the detectors' shapes, where a wrong cue would show.
  let s = text;
  for (let i = rng.int(0, 3); i > 0; i--) {
    const at = rng.int(0, s.length);
    s = s.slice(0, at) + ALPHABET[rng.int(0, ALPHABET.length - 1)] + s.slice(at + rng.int(0, 1));
  }
  return s;
}

describe('scanTextFacts', () => {
  it('agrees with the checks it stands in for', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 3_000; i++) {
      const text = mutate(rng, mutate(rng, i % 2 === 0 ? piiSentence(rng.pick(PII_KINDS), rng) : hardNegativeSentence(rng)));
      const { flags } = scanTextFacts(text);
      expect((flags & NON_ASCII) !== 0, JSON.stringify(text)).toBe(/[^\x00-\x7f]/.test(text));
      expect((flags & CONTROL) !== 0, JSON.stringify(text)).toBe(hasControlChars(text));
      expect((flags & REPLACEMENT) !== 0).toBe(hasReplacementChar(text));
      if (hasMojibake(text)) expect(flags & MOJIBAKE_LEAD, JSON.stringify(text)).not.toBe(0);
    }
  });

  it('never rules out a PII kind that its detector finds', () => {
    const rng = new Rng(9);
    const detectors = piiDetectors();
    let found = 0;
    let skipped = 0;
    for (let i = 0; i < 3_000; i++) {
      const kind = PII_KINDS[i % PII_KINDS.length]!;
      const text = i % 3 === 0 ? piiSentence(kind, rng) : mutate(rng, i % 3 === 1 ? piiSentence(kind, rng) : hardNegativeSentence(rng));
      const facts = scanTextFacts(text);
      for (const k of PII_KINDS) {
        const spans = detectors[k](text);
        if (spans.length > 0) found++;
        if (!couldContain(k, facts)) {
          skipped++;
          expect(spans, `${k} in ${JSON.stringify(text)}`).toEqual([]);
        }
      }
    }
    console.log(`cues: ${found} detector hits, ${skipped} detector runs skipped, none of them a hit`);
    expect(found).toBeGreaterThan(1_000);
    expect(skipped).toBeGreaterThan(5_000);
  });
});
