/**
 * A worker thread running one Validator over what the main thread sends (parallel-validator.ts):
 * batches of parsed records, or chunks of whole JSONL lines that it decodes and parses itself, so
 * that the records need not be parsed once and copied twice. It acknowledges each message with
 * the records seen so far (and the first malformed line), so the sender can bound what is in
 * flight.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseJsonlLines } from './jsonl-pass.js';
import { splitLines } from './lines.js';
// Not validation/index.js: that would bring the config schema (zod) into every thread.
import type { ValidationConfig } from './validation/config.js';
import { RuleSet, type ValidationResult } from './validation/rule-set.js';
import type { DatasetRecord } from './validation/types.js';

/** `jsonl`: whole lines in shared memory; `slot` is the ring slot they are in (−1: memory of their own). */
export type ToValidator = { type: 'batch'; records: DatasetRecord[] } | { type: 'jsonl'; bytes: Uint8Array; slot: number } | { type: 'finish' };
export type FromValidator =
  | { type: 'ack'; records: number; slot?: number; badLine?: { line: number; reason: string } }
  | { type: 'result'; result: ValidationResult };

export interface ValidatorWorkerData {
  /** Parsed already (parseValidationConfig), by the thread that starts this one. */
  config: ValidationConfig;
  /** ValidatorOptions.expectedRecords. */
  expectedRecords: number | undefined;
  /** For JSONL chunks: the text field, and whether the rules read the other fields. */
  jsonl?: { textField: string; withFields: boolean };
}

const data = workerData as ValidatorWorkerData;
const validator = new RuleSet(data.config, data.expectedRecords === undefined ? {} : { expectedRecords: data.expectedRecords });
const add = (record: DatasetRecord): void => validator.add(record);
let nextLine = 1;
let badLine: { line: number; reason: string } | undefined;

const reply = (message: FromValidator): void => parentPort!.postMessage(message);

parentPort!.on('message', (message: ToValidator) => {
  if (message.type === 'batch') {
    for (const record of message.records) validator.add(record);
    reply({ type: 'ack', records: validator.records });
  } else if (message.type === 'jsonl') {
    if (!badLine && data.jsonl) {
      const lines = splitLines(message.bytes);
      parseJsonlLines(lines, nextLine, validator.records, data.jsonl.textField, data.jsonl.withFields, add, (line, reason) => {
        badLine = { line, reason };
        return false;
      });
      nextLine += lines.length;
    }
    reply({ type: 'ack', records: validator.records, slot: message.slot, ...(badLine ? { badLine } : {}) });
  } else {
    reply({ type: 'result', result: validator.finish() });
  }
});
