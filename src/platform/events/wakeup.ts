/**
 * A latch a subscriber sleeps on: `notify` wakes it (or marks it, so that a notification that came
 * while it was busy is not lost), `wait` resolves on a notification, after `ms`, or when `signal` aborts.
 */
export class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;

  notify(): void {
    this.pending = true;
    this.resolve?.();
  }

  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => this.resolve?.();
    await new Promise<void>((resolve) => {
      this.resolve = resolve;
      timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    this.resolve = undefined;
    this.pending = false;
  }
}

/** In-process pub/sub of "job X has new events": subscribers re-read the store when woken. */
export class EventHub {
  private readonly listeners = new Map<string, Set<Wakeup>>();

  listen(jobId: string, wakeup: Wakeup): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(wakeup);
    return () => {
      set.delete(wakeup);
      if (set.size === 0) this.listeners.delete(jobId);
    };
  }

  publish(jobId: string): void {
    for (const wakeup of this.listeners.get(jobId) ?? []) wakeup.notify();
  }

  wakeAll(): void {
    for (const set of this.listeners.values()) for (const wakeup of set) wakeup.notify();
  }
}
