import type { RunComparison, RunView } from './schema.js';

/** One stored metric point, as compare reads them (ordered by run, name, step, then logging order). */
export interface ComparePoint {
  runId: string;
  name: string;
  step: number;
  value: number;
}

/**
 * Aligns the runs' metrics by step and diffs their params. For each metric, `steps` is the union of
 * the steps any run logged (ascending) and `values[runId][i]` that run's value at `steps[i]`: null
 * where it logged none, the last logged where it logged several. A param is `differing` when its
 * values differ or some run lacks it (`missing_in`, value null); otherwise it is in `same`.
 * @example compareRuns([a, b], points).metrics[0] // {name: 'loss', steps: [0, 1, 2], values: {a: [2.1, 1.9, null], b: [2.2, null, 1.5]}}
 */
export function compareRuns(runs: RunView[], points: ComparePoint[]): RunComparison {
  const byMetric = new Map<string, Map<string, Map<number, number>>>();
  for (const point of points) {
    let perRun = byMetric.get(point.name);
    if (!perRun) byMetric.set(point.name, (perRun = new Map()));
    let steps = perRun.get(point.runId);
    if (!steps) perRun.set(point.runId, (steps = new Map()));
    steps.set(point.step, point.value); // later points of a step overwrite earlier ones
  }
  const metrics = [...byMetric.keys()].sort().map((name) => {
    const perRun = byMetric.get(name)!;
    const stepSet = new Set<number>();
    for (const steps of perRun.values()) for (const step of steps.keys()) stepSet.add(step);
    const steps = [...stepSet].sort((a, b) => a - b);
    const values: Record<string, Array<number | null>> = {};
    for (const run of runs) {
      const logged = perRun.get(run.id);
      values[run.id] = steps.map((step) => logged?.get(step) ?? null);
    }
    return { name, steps, values };
  });

  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.params)))].sort();
  const differing: RunComparison['params']['differing'] = [];
  const same: Record<string, string> = {};
  for (const key of keys) {
    const values: Record<string, string | null> = {};
    for (const run of runs) values[run.id] = run.params[key] ?? null;
    const missingIn = runs.filter((run) => !(key in run.params)).map((run) => run.id);
    const distinct = new Set(Object.values(values));
    if (missingIn.length === 0 && distinct.size === 1) same[key] = runs[0]!.params[key]!;
    else differing.push({ key, values, missing_in: missingIn });
  }

  return {
    runs: runs.map(({ id, name, status, job_id, start_time, end_time }) => ({ id, name, status, job_id, start_time, end_time })),
    metrics,
    params: { differing, same },
  };
}
