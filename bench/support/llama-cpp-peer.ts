/**
 * llama.cpp (through node-llama-cpp's prebuilt CPU binary) as a benchmark peer: batch-1 greedy decode
 * speed of a GGUF file, measured the way ours is — tokens generated after the prompt, per second, with
 * the per-token JavaScript overhead of its binding included as ours includes our own.
 * node-llama-cpp is a devDependency; where it cannot be imported the peer reports null and the bench says so.
 *
 * The peer runs at its best thread count, not at ours: with as many llama.cpp threads as cores, its
 * threads and Node's own thread contend for the cores, and on a 2-core box `tiny` f32 decoded at
 * 90–150 tok/s on 2 threads against ~410 on 1 (small: 76–117 against ~149). Comparing against the
 * contended figure would flatter us.
 */
export interface LlamaCppDecode {
  decodeTps: number; // tokens/s after the first generated token
  seconds: number;
  tokens: number;
  threads: number; // the thread count that gave decodeTps
}

/** The thread counts worth trying on `cores` cores: all of them, one left for Node's thread, and one. */
export function peerThreadCounts(cores: number): number[] {
  return [...new Set([cores, cores - 1, 1])].filter((n) => n >= 1);
}

/**
 * Greedy batch-1 decode of `tokens` tokens after `prompt`: best of `rounds` at each of `threads`, the best
 * overall; null where node-llama-cpp is absent.
 */
export async function llamaCppDecode(ggufPath: string, opts: { prompt: number[]; tokens: number; threads: number[]; rounds?: number }): Promise<LlamaCppDecode | null> {
  let nlc: typeof import('node-llama-cpp');
  try {
    nlc = await import('node-llama-cpp');
  } catch {
    return null;
  }
  const llama = await nlc.getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: nlc.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: ggufPath });
  try {
    let best: LlamaCppDecode | null = null;
    const contextSize = opts.prompt.length + opts.tokens + 8;
    for (const threads of opts.threads) {
      const context = await model.createContext({ contextSize, batchSize: Math.max(64, opts.prompt.length), threads });
      try {
        const sequence = context.getSequence();
        for (let r = 0; r < (opts.rounds ?? 3); r++) {
          await sequence.clearHistory();
          let n = 0;
          let t0 = 0;
          for await (const _token of sequence.evaluate(opts.prompt as never, { temperature: 0 })) {
            if (n === 0) t0 = performance.now(); // the first token closes the prefill
            if (++n > opts.tokens) break;
          }
          const seconds = (performance.now() - t0) / 1000;
          const run = { decodeTps: opts.tokens / seconds, seconds, tokens: opts.tokens, threads };
          if (!best || run.decodeTps > best.decodeTps) best = run;
        }
      } finally {
        await context.dispose();
      }
    }
    return best;
  } finally {
    await model.dispose();
  }
}
