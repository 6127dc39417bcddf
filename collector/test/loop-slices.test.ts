import { describe, expect, it } from 'vitest';
import { LoopSlices } from '../src/loop-slices.ts';

describe('LoopSlices', () => {
  it('is due once its slice of time is spent, and not before', async () => {
    const start = performance.now();
    const slices = new LoopSlices(100);
    expect(slices.due).toBe(false);
    while (!slices.due) {
      // Work on the loop until the slice is spent.
    }
    expect(performance.now() - start).toBeGreaterThanOrEqual(100);
    await slices.next();
    // A new slice begins after the pause.
    expect(slices.due).toBe(false);
  });

  it('lets whatever waits on the loop run at next()', async () => {
    const slices = new LoopSlices(0);
    let ran = false;
    setTimeout(() => {
      ran = true;
    }, 0);
    const until = performance.now() + 5;
    while (performance.now() < until) {
      // The timer is due now, but cannot run while this task holds the loop.
    }
    expect(ran).toBe(false);
    // Immediates run after the loop's I/O phase, timers at the start of its next turn: within two.
    await slices.next();
    await slices.next();
    expect(ran).toBe(true);
  });
});
