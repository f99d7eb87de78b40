/**
 * Runs the PyTorch training peer (llama_train.py) for the training benchmark, when Debian's PyTorch is
 * installed; PyTorch is never a dependency of Crucible. Debian's python3-torch is importable only by
 * Debian's own /usr/bin/python3, not by another python3 earlier on PATH, hence the fixed path.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./llama_train.py', import.meta.url));

/** The model shape and run the peer trains; the same shape Crucible's benchmark trains. */
export interface TorchPeerArgs {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  tiedEmbeddings?: boolean;
  batch: number;
  seqLen: number;
  threads: number;
  steps?: number; // timed steps, default 5
  warmup?: number; // untimed steps, default 2
}

/** The JSON line the peer prints. tokens_per_s uses the median step; best_tokens_per_s the fastest. */
export const torchPeerResultSchema = z.object({
  tokens_per_s: z.number(),
  best_tokens_per_s: z.number(),
  step_s: z.number(),
  best_step_s: z.number(),
  params: z.number().int(),
  loss: z.number(),
  peak_rss_mb: z.number(),
  threads: z.number().int(),
  torch: z.string(),
});
export type TorchPeerResult = z.infer<typeof torchPeerResultSchema>;

/** Whether Debian's PyTorch can be imported here. */
export async function torchAvailable(): Promise<boolean> {
  try {
    await run(PYTHON, ['-c', 'import torch'], { timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** Trains the peer and returns its measurement, or undefined when PyTorch is not installed. */
export async function runTorchPeer(args: TorchPeerArgs, options: { timeoutMs?: number } = {}): Promise<TorchPeerResult | undefined> {
  if (!(await torchAvailable())) return undefined;
  const argv = [
    SCRIPT,
    `--vocab=${args.vocabSize}`,
    `--hidden=${args.hidden}`,
    `--layers=${args.layers}`,
    `--heads=${args.heads}`,
    `--kv-heads=${args.kvHeads}`,
    `--ffn=${args.ffn}`,
    `--batch=${args.batch}`,
    `--seq-len=${args.seqLen}`,
    `--threads=${args.threads}`,
    `--steps=${args.steps ?? 5}`,
    `--warmup=${args.warmup ?? 2}`,
    ...(args.tiedEmbeddings ? ['--tied'] : []),
  ];
  // OMP/MKL variables would override torch.set_num_threads in surprising ways: pin them to the same count.
  const env = { ...process.env, OMP_NUM_THREADS: String(args.threads), OPENBLAS_NUM_THREADS: String(args.threads) };
  const { stdout } = await run(PYTHON, argv, { env, timeout: options.timeoutMs ?? 20 * 60_000, maxBuffer: 1 << 20 });
  const line = stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`PyTorch peer printed no JSON result; last line: ${JSON.stringify(line.slice(0, 200))}`);
  }
  return torchPeerResultSchema.parse(parsed);
}
