/**
 * IEEE 754 half precision (F16) and bfloat16 (BF16) ⇄ float32, for reading and writing checkpoint
 * formats. Node 20 has no Float16Array, so 16-bit values travel as raw bits in a Uint16Array.
 * Encoding rounds to nearest, ties to even (what PyTorch and numpy do), keeps NaN a NaN and overflows to ±Inf.
 */

let f16Table: Float32Array | undefined;

/** All 65,536 F16 bit patterns decoded once (256 KiB): decoding is then one lookup per value. */
function f16DecodeTable(): Float32Array {
  if (f16Table !== undefined) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24; // zero and subnormals
    else if (exponent === 31) table[h] = mantissa === 0 ? sign * Infinity : NaN;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  f16Table = table;
  return table;
}

/** Decodes F16 bit patterns to float32. */
export function f16ToFloat32(bits: Uint16Array): Float32Array {
  const table = f16DecodeTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

/** Decodes BF16 bit patterns to float32 (exact: BF16 is the top half of a float32). */
export function bf16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i]! << 16;
  return out;
}

/** Encodes float32 values as BF16 bits, rounding to nearest even. */
export function float32ToBf16(values: Float32Array): Uint16Array {
  const inBits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = inBits[i]!;
    if ((x & 0x7fffffff) > 0x7f800000) {
      out[i] = (x >>> 16) | 0x0040; // NaN: keep it a (quiet) NaN even if its payload lived in the low half
    } else {
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

/** Encodes float32 values as F16 bits, rounding to nearest even; out-of-range values become ±Inf. */
export function float32ToF16(values: Float32Array): Uint16Array {
  const inBits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32BitsToF16Bits(inBits[i]!);
  return out;
}

function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0); // Inf or quiet NaN
  const e = exponent - 127 + 15; // re-biased exponent
  if (e >= 31) return sign | 0x7c00; // too large: Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa right, rounding to nearest even.
    if (e < -10) return sign; // below half the smallest subnormal: rounds to ±0
    const m = mantissa | 0x800000;
    const shift = 14 - e; // 24-bit significand → 10-bit subnormal field
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && (r & 1) === 1)) r += 1;
    return sign | r; // a carry into bit 10 correctly yields the smallest normal
  }
  let r = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1) === 1)) r += 1; // a carry may overflow to Inf: correct
  return sign | r;
}
