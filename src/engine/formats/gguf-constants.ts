/**
 * GGUF v3 constants (ggml/docs/gguf.md and ggml.h): the metadata value types, the tensor types this
 * engine reads and writes with their block geometry, and llama.cpp's `general.file_type` numbers.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value type ids (gguf_metadata_value_type). */
export const GGUF_VALUE_TYPE = {
  u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12,
} as const;

export type GgufScalarType = Exclude<keyof typeof GGUF_VALUE_TYPE, 'array'>;
export type GgufScalar = number | bigint | boolean | string;

/** One metadata value: a typed scalar, or a typed array of scalars (nested arrays are not used by llama). */
export type GgufValue =
  | { type: GgufScalarType; value: GgufScalar }
  | { type: 'array'; itemType: GgufScalarType; value: GgufScalar[] };

/** Tensor types handled here; ids are ggml_type. Quantized types store `blockValues` values in `blockBytes`. */
export const GGML_TYPES = {
  F32: { id: 0, blockValues: 1, blockBytes: 4 },
  F16: { id: 1, blockValues: 1, blockBytes: 2 },
  Q4_0: { id: 2, blockValues: 32, blockBytes: 18 }, // f16 scale + 16 bytes of nibbles
  Q8_0: { id: 8, blockValues: 32, blockBytes: 34 }, // f16 scale + 32 int8
  BF16: { id: 30, blockValues: 1, blockBytes: 2 },
} as const;

export type GgmlType = keyof typeof GGML_TYPES;

/** ggml_type id → name, for the types above. */
export function ggmlTypeName(id: number): GgmlType | undefined {
  return (Object.keys(GGML_TYPES) as GgmlType[]).find((t) => GGML_TYPES[t].id === id);
}

/** Bytes a tensor of `count` values takes; `count` must be a whole number of blocks (checked by callers). */
export function ggmlByteSize(type: GgmlType, count: number): number {
  const t = GGML_TYPES[type];
  return (count / t.blockValues) * t.blockBytes;
}

/** llama.cpp's llama_ftype: what most of the file's tensors are (`general.file_type`). */
export const LLAMA_FILE_TYPE: Record<GgmlType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 7, BF16: 32 };

/** llama.cpp's llama_token_type, stored per token in `tokenizer.ggml.token_type`. */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;
