/**
 * The error every file-format reader and writer in the engine throws. `code` is stable (callers branch on
 * it, never on the message); the message names the file and what to do.
 */
export type FormatErrorCode =
  | 'file_too_small' // fewer bytes than the fixed header needs
  | 'bad_header' // header unreadable: wrong length, not JSON, wrong fields
  | 'bad_magic' // not a file of this format
  | 'unsupported_version'
  | 'unsupported_dtype'
  | 'bad_tensor' // a tensor entry is inconsistent (shape vs size, offsets)
  | 'truncated' // the file is shorter (or longer) than its header says
  | 'bad_input'; // a writer was given data it cannot store

export class FormatError extends Error {
  readonly code: FormatErrorCode;

  constructor(code: FormatErrorCode, message: string) {
    super(message);
    this.name = 'FormatError';
    this.code = code;
  }
}
