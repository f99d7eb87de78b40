import { z } from 'zod';

const PREFIX = 'CRUCIBLE_METRIC ';
const MetricLineSchema = z.object({ name: z.string().min(1), value: z.number(), step: z.number().int().min(0) });

/**
 * `CRUCIBLE_METRIC {"name":"loss","value":0.5,"step":10}` → the point; any other line → null
 * (a malformed metric line stays a log line, so nothing a command prints is lost).
 */
export function parseMetricLine(line: string): z.infer<typeof MetricLineSchema> | null {
  if (!line.startsWith(PREFIX)) return null;
  try {
    const parsed = MetricLineSchema.safeParse(JSON.parse(line.slice(PREFIX.length)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
