/**
 * Acceptance test for issue 3's validation report: on a generated corpus with planted problems,
 * every planted kind is found with precision and recall ≥ 0.95, measured per record against the
 * ground truth (duplicates recomputed exactly by the generator), and the table is printed.
 */
import { describe, expect, it } from 'vitest';
import { generatePlantedCorpus, type PlantedCorpus } from '../testing/planted-corpus.js';
import { formatScores, scoreFindings, type KindScore } from '../testing/score.js';
import { Validator } from './validator.js';

const MIN = 0.95;

async function score(corpus: PlantedCorpus, config: Record<string, unknown> = {}): Promise<KindScore[]> {
  // Every flagged id is an example, so the examples are the rule's full verdict.
  const { findings } = await new Validator({ maxExamples: corpus.records.length, ...config }).run(corpus.records);
  for (const f of findings) expect(f.examples.length, f.rule).toBe(f.count);
  return scoreFindings(corpus, findings);
}

const corpora = new Map<number, PlantedCorpus>();
const corpusFor = (seed: number): PlantedCorpus => corpora.get(seed) ?? corpora.set(seed, generatePlantedCorpus({ seed })).get(seed)!;

describe('validation report quality on a planted corpus', () => {
  for (const seed of [42, 7]) {
    it(`finds every planted kind with precision and recall ≥ ${MIN} (seed ${seed})`, async () => {
      const corpus = corpusFor(seed);
      const scores = await score(corpus);
      console.log(`planted corpus seed ${seed}: ${corpus.records.length} records\n${formatScores(scores)}`);
      for (const s of scores) {
        expect(s.truth, `${s.kind} has planted records`).toBeGreaterThan(0);
        expect(s.precision, `${s.kind} precision`).toBeGreaterThanOrEqual(MIN);
        expect(s.recall, `${s.kind} recall`).toBeGreaterThanOrEqual(MIN);
      }
    });
  }

  it('notices a detector that is off the mark (the measure can fail)', async () => {
    const corpus = corpusFor(42);
    // A near-dup threshold of 0.97 misses most planted near-duplicates (Jaccard 0.85–0.99) …
    const strict = (await score(corpus, { rules: { 'dup.near': { threshold: 0.97 } } })).find((s) => s.kind === 'dup.near')!;
    // … and one of 0.4 also flags the near-misses (Jaccard 0.35–0.72).
    const loose = (await score(corpus, { rules: { 'dup.near': { threshold: 0.4 } } })).find((s) => s.kind === 'dup.near')!;
    console.log(`dup.near at 0.97: recall ${strict.recall.toFixed(3)}; at 0.4: precision ${loose.precision.toFixed(3)}`);
    expect(strict.recall).toBeLessThan(MIN);
    expect(loose.precision).toBeLessThan(MIN);
  });
});
