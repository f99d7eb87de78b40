/**
 * A worker thread running one Validator over the records the main thread sends in batches
 * (parallel-validator.ts). It acknowledges each batch, so the sender can bound what is in flight.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Validator, type DatasetRecord } from './validation/index.js';

export type ToValidator = { type: 'batch'; records: DatasetRecord[] } | { type: 'finish' };

const validator = new Validator((workerData as { config: unknown }).config);

parentPort!.on('message', (message: ToValidator) => {
  if (message.type === 'batch') {
    for (const record of message.records) validator.add(record);
    parentPort!.postMessage({ type: 'ack' });
  } else {
    parentPort!.postMessage({ type: 'result', result: validator.finish() });
  }
});
