/**
 * Encoding float32 rows into ggml tensor types and decoding them back, bit-compatible with ggml's
 * reference (`quantize_row_*_ref`, `dequantize_row_*`) so that llama.cpp reads exactly the values we meant.
 *
 * Blocks cover 32 consecutive values of a row (ggml's ne0, the fastest-varying dim):
 *   Q8_0: f16 d, then 32 int8 q;   d = max|x| / 127,  q = round(x / d),  x ≈ q·d
 *   Q4_0: f16 d, then 16 bytes;    d = m / −8 where m is the value of largest magnitude (sign kept),
 *         q = min(15, trunc(x/d + 8.5)), x ≈ (q − 8)·d; byte j holds value j in its low nibble and value
 *         j+16 in its high nibble.
 * The scale is computed in float32 and stored as f16 (as ggml does); dequantization uses the stored f16.
 */
import { FormatError } from './format-error.js';
import { GGML_TYPES, type GgmlType } from './gguf-constants.js';
import { bf16ToFloat32, f16ToFloat32, float32ToBf16, float32ToF16 } from './half.js';

const QK = 32;
const f32 = Math.fround;

/** C's roundf: halves go away from zero (Math.round sends −2.5 to −2). */
const roundAway = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x));

/** Encodes values (a whole number of blocks for quantized types) as the bytes of a ggml tensor. */
export function encodeGgml(type: GgmlType, values: Float32Array): Uint8Array {
  switch (type) {
    case 'F32':
      return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    case 'F16':
      return new Uint8Array(float32ToF16(values).buffer);
    case 'BF16':
      return new Uint8Array(float32ToBf16(values).buffer);
    case 'Q8_0':
      return quantizeBlocks(values, 'Q8_0');
    case 'Q4_0':
      return quantizeBlocks(values, 'Q4_0');
  }
}

/** Decodes the bytes of a ggml tensor of `count` values to float32. */
export function decodeGgml(type: GgmlType, bytes: Uint8Array, count: number): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  switch (type) {
    case 'F32':
      return new Float32Array(aligned.buffer, aligned.byteOffset, count).slice();
    case 'F16':
      return f16ToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, count));
    case 'BF16':
      return bf16ToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, count));
    case 'Q8_0':
    case 'Q4_0':
      return dequantizeBlocks(type, bytes, count);
  }
}

function checkBlocks(type: GgmlType, count: number): number {
  if (count % QK !== 0) {
    throw new FormatError('bad_input', `gguf: ${type} needs whole blocks of ${QK} values, got ${count}; choose F16/F32 for this tensor`);
  }
  return count / QK;
}

function quantizeBlocks(x: Float32Array, type: 'Q8_0' | 'Q4_0'): Uint8Array {
  const nb = checkBlocks(type, x.length);
  const blockBytes = GGML_TYPES[type].blockBytes;
  const out = new Uint8Array(nb * blockBytes);
  const scales = new Float32Array(nb);
  for (let b = 0; b < nb; b++) {
    const base = b * QK;
    const q = out.subarray(b * blockBytes + 2, (b + 1) * blockBytes);
    if (type === 'Q8_0') {
      let amax = 0;
      for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[base + j]!));
      const d = f32(amax / 127);
      const id = d !== 0 ? f32(1 / d) : 0;
      for (let j = 0; j < QK; j++) q[j] = roundAway(f32(x[base + j]! * id)) & 0xff; // int8 as two's complement
      scales[b] = d;
    } else {
      let amax = 0;
      let max = 0;
      for (let j = 0; j < QK; j++) {
        const v = x[base + j]!;
        if (amax < Math.abs(v)) {
          amax = Math.abs(v);
          max = v;
        }
      }
      const d = f32(max / -8);
      const id = d !== 0 ? f32(1 / d) : 0;
      for (let j = 0; j < QK / 2; j++) {
        const lo = Math.min(15, Math.trunc(f32(f32(x[base + j]! * id) + 8.5)));
        const hi = Math.min(15, Math.trunc(f32(f32(x[base + QK / 2 + j]! * id) + 8.5)));
        q[j] = lo | (hi << 4);
      }
      scales[b] = d;
    }
  }
  const d16 = float32ToF16(scales);
  for (let b = 0; b < nb; b++) {
    out[b * blockBytes] = d16[b]! & 0xff;
    out[b * blockBytes + 1] = d16[b]! >> 8;
  }
  return out;
}

function dequantizeBlocks(type: 'Q8_0' | 'Q4_0', bytes: Uint8Array, count: number): Float32Array {
  const nb = checkBlocks(type, count);
  const blockBytes = GGML_TYPES[type].blockBytes;
  if (bytes.length < nb * blockBytes) throw new FormatError('truncated', `gguf: ${type} tensor of ${count} values needs ${nb * blockBytes} bytes, got ${bytes.length}`);
  const d16 = new Uint16Array(nb);
  for (let b = 0; b < nb; b++) d16[b] = bytes[b * blockBytes]! | (bytes[b * blockBytes + 1]! << 8);
  const scales = f16ToFloat32(d16);
  const out = new Float32Array(count);
  for (let b = 0; b < nb; b++) {
    const d = scales[b]!;
    const q = b * blockBytes + 2;
    if (type === 'Q8_0') {
      for (let j = 0; j < QK; j++) out[b * QK + j] = ((bytes[q + j]! << 24) >> 24) * d; // sign-extend int8
    } else {
      for (let j = 0; j < QK / 2; j++) {
        out[b * QK + j] = ((bytes[q + j]! & 0x0f) - 8) * d;
        out[b * QK + QK / 2 + j] = ((bytes[q + j]! >> 4) - 8) * d;
      }
    }
  }
  return out;
}
