import { readFileSync } from 'node:fs';

/** Per op type: total milliseconds and node count from an ONNX Runtime profile file, biggest first. */
export function summarizeProfile(path: string, runs = 1): { op: string; ms: number; nodes: number }[] {
  const events = JSON.parse(readFileSync(path, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  const by = new Map<string, { ms: number; nodes: Set<string> }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    const row = by.get(op) ?? { ms: 0, nodes: new Set<string>() };
    row.ms += e.dur / 1000 / runs;
    row.nodes.add(e.name);
    by.set(op, row);
  }
  return [...by].map(([op, r]) => ({ op, ms: r.ms, nodes: r.nodes.size })).sort((a, b) => b.ms - a.ms);
}
