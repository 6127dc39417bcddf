/**
 * When learnt state goes back to its table: each piece that learnt something
 * since it was last written, in rounds at most `everyMs` apart. A crash loses
 * at most one round of it, minutes of a state that barely moves in that
 * time; writing every flush would rewrite each active project's state (up to
 * a few hundred KiB) every second.
 */
export const STATE_EVERY_MS = 5 * 60_000;

export class StateRewrites<T extends object> {
  private readonly written = new WeakMap<T, number>();
  private last = Number.NEGATIVE_INFINITY;
  private readonly everyMs: number;

  constructor(everyMs = STATE_EVERY_MS) {
    this.everyMs = everyMs;
  }

  /** Whether a round is due at `at`; a due round starts now. */
  due(at: Date): boolean {
    if (at.getTime() - this.last < this.everyMs) return false;
    this.last = at.getTime();
    return true;
  }

  /** Whether `item` learnt since it was written (`learnt` counts what it took in); it counts as written now. */
  take(item: T, learnt: number): boolean {
    if (this.written.get(item) === learnt) return false;
    this.written.set(item, learnt);
    return true;
  }

  /** What a restore loaded is in the table already. */
  loaded(item: T, learnt: number): void {
    this.written.set(item, learnt);
  }
}
