import type { GlobalOptions } from './client.js';

/** Writes machine output (--json) or human output; --quiet silences the human kind only. */
export function emit(options: GlobalOptions, data: unknown, human: () => string): void {
  if (options.json) {
    process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  if (!options.quiet) process.stdout.write(`${human()}\n`);
}

/** A plain aligned table; empty cells show as "-". */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((cell, i) => (cell ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
