/**
 * llama.cpp (through node-llama-cpp's prebuilt CPU binary) as a benchmark peer: batch-1 greedy decode
 * speed of a GGUF file, measured the way ours is — tokens generated after the prompt, per second, with
 * the per-token JavaScript overhead of its binding included as ours includes our own.
 * node-llama-cpp is a devDependency; where it cannot be imported the peer reports null and the bench says so.
 */
export interface LlamaCppDecode {
  decodeTps: number; // tokens/s after the first generated token
  seconds: number;
  tokens: number;
}

/** Greedy batch-1 decode of `tokens` tokens after `prompt`, best of `rounds`; null where node-llama-cpp is absent. */
export async function llamaCppDecode(ggufPath: string, opts: { prompt: number[]; tokens: number; threads: number; rounds?: number }): Promise<LlamaCppDecode | null> {
  let nlc: typeof import('node-llama-cpp');
  try {
    nlc = await import('node-llama-cpp');
  } catch {
    return null;
  }
  const llama = await nlc.getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: nlc.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: ggufPath });
  try {
    const contextSize = opts.prompt.length + opts.tokens + 8;
    const context = await model.createContext({ contextSize, batchSize: Math.max(64, opts.prompt.length), threads: opts.threads });
    const sequence = context.getSequence();
    let best: LlamaCppDecode | null = null;
    for (let r = 0; r < (opts.rounds ?? 3); r++) {
      await sequence.clearHistory();
      let n = 0;
      let t0 = 0;
      for await (const _token of sequence.evaluate(opts.prompt as never, { temperature: 0 })) {
        if (n === 0) t0 = performance.now(); // the first token closes the prefill
        if (++n > opts.tokens) break;
      }
      const seconds = (performance.now() - t0) / 1000;
      const run = { decodeTps: opts.tokens / seconds, seconds, tokens: opts.tokens };
      if (!best || run.decodeTps > best.decodeTps) best = run;
    }
    await context.dispose();
    return best;
  } finally {
    await model.dispose();
  }
}
