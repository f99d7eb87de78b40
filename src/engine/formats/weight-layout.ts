/**
 * The two weight rearrangements between Crucible's layout and the files we write:
 * - transpose: our linears are [in, out] (y = x @ W); Hugging Face and ggml store [out, in] rows.
 * - rotary row permutation for GGUF: Hugging Face Llama applies RoPE with `rotate_half` (channel i pairs
 *   with i + HS/2), llama.cpp's LLAMA rope pairs adjacent channels (2i, 2i+1). llama.cpp's converter
 *   therefore reorders each head's output rows of q_proj / k_proj: new row 2i + s of a head takes old
 *   row s·HS/2 + i (s ∈ {0, 1}, i < HS/2). Q·K scores are unchanged because q and k move together.
 */
import { FormatError } from './format-error.js';

/** [rows, cols] row-major → [cols, rows] row-major. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  if (data.length !== rows * cols) throw new Error(`transpose2d: ${data.length} values are not [${rows}, ${cols}]`);
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const src = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[src + c]!;
  }
  return out;
}

/** Reorders the rows of a [heads·HS, cols] matrix from rotate_half to interleaved pairs (HF → GGUF). */
export function permuteRotaryRows(data: Float32Array, heads: number, cols: number): Float32Array {
  return moveRows(data, heads, cols, (hs, i, s) => [2 * i + s, s * (hs / 2) + i]);
}

/** The inverse of permuteRotaryRows (GGUF → HF). */
export function unpermuteRotaryRows(data: Float32Array, heads: number, cols: number): Float32Array {
  return moveRows(data, heads, cols, (hs, i, s) => [s * (hs / 2) + i, 2 * i + s]);
}

/** Copies row `from` to row `to` within each head, for the (to, from) pairs `pair` gives. */
function moveRows(data: Float32Array, heads: number, cols: number, pair: (hs: number, i: number, s: number) => [number, number]): Float32Array {
  const hs = data.length / cols / heads;
  if (!Number.isInteger(hs) || hs % 2 !== 0) throw new Error(`rotary permutation: ${data.length / cols} rows do not split into ${heads} heads of even size`);
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < hs / 2; i++)
      for (let s = 0; s < 2; s++) {
        const [to, from] = pair(hs, i, s);
        out.set(data.subarray((h * hs + from) * cols, (h * hs + from + 1) * cols), (h * hs + to) * cols);
      }
  return out;
}

/** Views of a flat parameter buffer, one per spec, in order. */
export function splitParams(flat: Float32Array, specs: ReadonlyArray<{ name: string; shape: readonly number[] }>): Map<string, Float32Array> {
  const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (flat.length !== total) throw new FormatError('bad_input', `params: the flat buffer has ${flat.length} values but the config's parameter specs need ${total}`);
  const out = new Map<string, Float32Array>();
  let at = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    out.set(s.name, flat.subarray(at, at + n));
    at += n;
  }
  return out;
}
