/**
 * Long work on the collector's event loop, in slices. The loop also answers
 * exporters, health probes and scrapes: a drain round, a batch of questions
 * to place or a large insert to encode must hand it back every few
 * milliseconds, or an exporter's request waits behind it.
 */

/** Hands the event loop back: whatever waits on it (I/O, timers) runs before this resolves. */
export const yieldToLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

export class LoopSlices {
  private readonly sliceMs: number;
  private end: number;

  constructor(sliceMs = 10) {
    this.sliceMs = sliceMs;
    this.end = performance.now() + sliceMs;
  }

  /** The slice's time is spent: `await next()` before the next unit of work. */
  get due(): boolean {
    return performance.now() >= this.end;
  }

  /** Hands the loop back (whatever is waiting runs), then starts a new slice. */
  async next(): Promise<void> {
    await yieldToLoop();
    this.end = performance.now() + this.sliceMs;
  }
}
