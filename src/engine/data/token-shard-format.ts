/**
 * The token-shard file header (docs/formats/token-shards.md). 32 bytes, little-endian:
 *
 *   offset  size  field
 *        0     8  magic "CRUCTOKS"
 *        8     4  version (u32) = 1
 *       12     4  dtype (u32): 2 = uint16, 4 = uint32 (the code is the width in bytes)
 *       16     8  token count (u64)
 *       24     4  vocab size (u32; 0 = not recorded)
 *       28     4  reserved, 0
 *       32     …  tokens, token count × width bytes, nothing after them
 */
import { FormatError } from '../formats/format-error.js';

export const TOKEN_SHARD_MAGIC = 'CRUCTOKS';
export const TOKEN_SHARD_VERSION = 1;
export const TOKEN_SHARD_HEADER_BYTES = 32;

export type TokenDtype = 'uint16' | 'uint32';

/** What a shard header says. */
export interface TokenShardHeader {
  dtype: TokenDtype;
  tokenCount: number;
  vocabSize: number; // 0 when not recorded
}

/** Bytes per token of a dtype. */
export function tokenWidth(dtype: TokenDtype): 2 | 4 {
  return dtype === 'uint16' ? 2 : 4;
}

/** The narrowest dtype that holds every id of a vocabulary: uint16 up to 65,536 tokens. */
export function dtypeForVocab(vocabSize: number): TokenDtype {
  return vocabSize <= 65536 ? 'uint16' : 'uint32';
}

/** Encodes a header. */
export function encodeTokenShardHeader(header: TokenShardHeader): Uint8Array {
  const bytes = new Uint8Array(TOKEN_SHARD_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(TOKEN_SHARD_MAGIC), 0);
  view.setUint32(8, TOKEN_SHARD_VERSION, true);
  view.setUint32(12, tokenWidth(header.dtype), true);
  view.setBigUint64(16, BigInt(header.tokenCount), true);
  view.setUint32(24, header.vocabSize, true);
  return bytes;
}

/** Decodes and checks a header against the file's size; errors name the file and say what is wrong. */
export function decodeTokenShardHeader(bytes: Uint8Array, fileSize: number, path: string): TokenShardHeader {
  if (fileSize < TOKEN_SHARD_HEADER_BYTES) {
    throw new FormatError('file_too_small', `${path}: ${fileSize} bytes is smaller than the ${TOKEN_SHARD_HEADER_BYTES}-byte token-shard header`);
  }
  const magic = new TextDecoder('latin1').decode(bytes.subarray(0, 8));
  if (magic !== TOKEN_SHARD_MAGIC) {
    throw new FormatError('bad_magic', `${path}: not a token shard (magic ${JSON.stringify(magic)}, expected "${TOKEN_SHARD_MAGIC}")`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, TOKEN_SHARD_HEADER_BYTES);
  const version = view.getUint32(8, true);
  if (version !== TOKEN_SHARD_VERSION) {
    throw new FormatError('unsupported_version', `${path}: token-shard version ${version} is not supported (this build reads version ${TOKEN_SHARD_VERSION}); upgrade Crucible or re-tokenize`);
  }
  const code = view.getUint32(12, true);
  if (code !== 2 && code !== 4) {
    throw new FormatError('unsupported_dtype', `${path}: token dtype code ${code} is unknown (2 = uint16, 4 = uint32)`);
  }
  if (view.getUint32(28, true) !== 0) {
    throw new FormatError('bad_header', `${path}: reserved header bytes 28..31 must be zero`);
  }
  const count = view.getBigUint64(16, true);
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FormatError('bad_header', `${path}: token count ${count} is implausibly large; the header is corrupt`);
  }
  const dtype: TokenDtype = code === 2 ? 'uint16' : 'uint32';
  const tokenCount = Number(count);
  const expectedSize = TOKEN_SHARD_HEADER_BYTES + tokenCount * code;
  if (fileSize !== expectedSize) {
    const what = fileSize < expectedSize ? 'truncated' : 'longer than its header says';
    throw new FormatError(
      'truncated',
      `${path}: file is ${what}: header says ${tokenCount} ${dtype} tokens, so ${expectedSize} bytes expected, but the file has ${fileSize}; re-create the shard`,
    );
  }
  return { dtype, tokenCount, vocabSize: view.getUint32(24, true) };
}
