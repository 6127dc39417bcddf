/**
 * The drain loop's waits: idle until woken, linger so concurrent requests
 * share a round, and back off after a failed round. All of them end on stop.
 */
export interface Sleeper {
  /** Resolves after `ms` (never, when null), on stop, and on `wake()` when `wakeable`. */
  sleep(ms: number | null, wakeable: boolean): Promise<void>;
  /** Ends a wakeable sleep, or makes the next one return at once. */
  wake(): void;
  /** Ends any sleep; every later one returns at once. */
  stop(): void;
}

export function createSleeper(): Sleeper {
  let stopped = false;
  let wakePending = false;
  let current: { wakeable: boolean; finish: () => void } | null = null;
  return {
    sleep: (ms, wakeable) =>
      new Promise((resolve) => {
        if (stopped) return resolve();
        if (wakeable && wakePending) {
          wakePending = false;
          return resolve();
        }
        let timer: NodeJS.Timeout | null = null;
        const finish = () => {
          if (timer) clearTimeout(timer);
          current = null;
          resolve();
        };
        if (ms !== null) timer = setTimeout(finish, ms);
        current = { wakeable, finish };
      }),
    wake() {
      if (current?.wakeable) current.finish();
      else wakePending = true;
    },
    stop() {
      stopped = true;
      current?.finish();
    },
  };
}

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

/**
 * Delay before the next round after `failures` failed ones in a row:
 * exponential from `initialMs` (default 200), capped at `maxMs`, with jitter
 * over the upper half so restarted collectors do not retry in step. The cap
 * defaults low (5 s): OTel exporters retry a refused batch only within their
 * own timeout (10 s by default), so the log must start draining soon after
 * ClickHouse is back.
 */
export function backoffDelay(failures: number, options: BackoffOptions = {}, random = Math.random): number {
  const initial = options.initialMs ?? 200;
  const max = options.maxMs ?? 5_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(failures - 1, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
