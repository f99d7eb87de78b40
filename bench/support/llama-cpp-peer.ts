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
/** One round of the peer: greedy tokens generated after the prompt, per second, at a thread count. */
export interface LlamaCppRound {
  decodeTps: number; // tokens/s after the first generated token
  threads: number;
}

/** The thread counts worth trying on `cores` cores: all of them, one left for Node's thread, and one. */
export function peerThreadCounts(cores: number): number[] {
  return [...new Set([cores, cores - 1, 1])].filter((n) => n >= 1);
}

/**
 * A GGUF file loaded in llama.cpp with a context per thread count, measured a round at a time, so that the
 * bench can take its rounds in turn with ours and the ratio compares the same stretch of time.
 */
export interface LlamaCppPeer {
  /** Greedy batch-1 decode of `tokens` tokens after the prompt, once at each thread count. */
  round(): Promise<LlamaCppRound[]>;
  close(): Promise<void>;
}

type Runtime = Awaited<ReturnType<typeof import('node-llama-cpp')['getLlama']>>;

/** llama.cpp's runtime, loaded once per process (each getLlama adds process listeners); null without node-llama-cpp. */
let runtime: Promise<Runtime | null> | undefined;

async function loadRuntime(): Promise<Runtime | null> {
  let nlc: typeof import('node-llama-cpp');
  try {
    nlc = await import('node-llama-cpp');
  } catch {
    return null;
  }
  return nlc.getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: nlc.LlamaLogLevel.error });
}

/** Opens the peer; null where node-llama-cpp cannot be imported. */
export async function openLlamaCppPeer(ggufPath: string, opts: { prompt: number[]; tokens: number; threads: number[] }): Promise<LlamaCppPeer | null> {
  const llama = await (runtime ??= loadRuntime());
  if (!llama) return null;
  const model = await llama.loadModel({ modelPath: ggufPath });
  const contextSize = opts.prompt.length + opts.tokens + 8;
  type Context = Awaited<ReturnType<typeof model.createContext>>;
  const contexts: { threads: number; context: Context; sequence: ReturnType<Context['getSequence']> }[] = [];
  const close = async (): Promise<void> => {
    for (const c of contexts) await c.context.dispose();
    await model.dispose();
  };
  try {
    for (const threads of opts.threads) {
      const context = await model.createContext({ contextSize, batchSize: Math.max(64, opts.prompt.length), threads });
      contexts.push({ threads, context, sequence: context.getSequence() });
    }
  } catch (e) {
    await close();
    throw e;
  }
  return {
    close,
    async round() {
      const out: LlamaCppRound[] = [];
      for (const { threads, sequence } of contexts) {
        await sequence.clearHistory();
        let n = 0;
        let t0 = 0;
        for await (const _token of sequence.evaluate(opts.prompt as never, { temperature: 0 })) {
          if (n === 0) t0 = performance.now(); // the first token closes the prefill
          if (++n > opts.tokens) break;
        }
        out.push({ decodeTps: opts.tokens / ((performance.now() - t0) / 1000), threads });
      }
      return out;
    },
  };
}
