/** Record-level precision and recall of a validation report against a planted corpus's truth. */
import type { Finding, RecordId } from '../validation/types.js';
import type { PlantedCorpus, PlantedKind } from './planted-corpus.js';

export interface KindScore {
  kind: PlantedKind;
  truth: number;
  flagged: number;
  truePositives: number;
  precision: number;
  recall: number;
}

/**
 * Score each planted kind: the flagged records are the finding's examples, so the report must be
 * produced with `maxExamples` at least the corpus size (the test checks count === examples).
 */
export function scoreFindings(corpus: PlantedCorpus, findings: readonly Finding[]): KindScore[] {
  return (Object.keys(corpus.truth) as PlantedKind[]).map((kind) => {
    const truth = corpus.truth[kind];
    const flagged = new Set<RecordId>(findings.find((f) => f.rule === kind)?.examples ?? []);
    let tp = 0;
    for (const id of flagged) if (truth.has(id)) tp++;
    return {
      kind,
      truth: truth.size,
      flagged: flagged.size,
      truePositives: tp,
      precision: flagged.size === 0 ? (truth.size === 0 ? 1 : 0) : tp / flagged.size,
      recall: truth.size === 0 ? 1 : tp / truth.size,
    };
  });
}

/** The scores as a fixed-width table. */
export function formatScores(scores: readonly KindScore[]): string {
  const rows = scores.map((s) => `${s.kind.padEnd(27)} ${String(s.truth).padStart(6)} ${String(s.flagged).padStart(8)} ${String(s.truePositives).padStart(5)} ${s.precision.toFixed(3).padStart(9)} ${s.recall.toFixed(3).padStart(7)}`);
  return [`${'kind'.padEnd(27)} ${'truth'.padStart(6)} ${'flagged'.padStart(8)} ${'tp'.padStart(5)} ${'precision'.padStart(9)} ${'recall'.padStart(7)}`, ...rows].join('\n');
}
