import { describe, expect, it } from 'vitest';
import { DROP, tapStream } from '../src/instrumentation/stream-tap.ts';

/** A stream of `chunks` whose iterator answers each next() after `delayMs`, as a network stream would. */
function stream(chunks: string[], delayMs = 5) {
  return {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        next: () =>
          new Promise<IteratorResult<string>>((resolve) =>
            setTimeout(
              () =>
                resolve(
                  i < chunks.length
                    ? { done: false, value: chunks[i++] as string }
                    : { done: true, value: undefined },
                ),
              delayMs,
            ),
          ),
      };
    },
  };
}

const hideUsage = {
  chunk: (value: unknown) => (value === 'usage' ? DROP : value),
  done: () => {},
  error: () => {},
};

describe('tapStream', () => {
  it('hides a chunk and keeps the order when the app calls next() again before the last one settled', async () => {
    const tapped = tapStream(stream(['a', 'usage', 'b', 'c']), hideUsage);
    const it = tapped[Symbol.asyncIterator]();
    // Not for await: three pulls in flight at once.
    const [first, second, third, fourth] = await Promise.all([it.next(), it.next(), it.next(), it.next()]);
    expect([first, second, third, fourth].map((r) => r.value)).toEqual(['a', 'b', 'c', undefined]);
    expect(fourth?.done).toBe(true);
  });

  it('hands a for await loop every chunk but the hidden one', async () => {
    const seen: unknown[] = [];
    for await (const chunk of tapStream(stream(['usage', 'a', 'b'], 0), hideUsage)) seen.push(chunk);
    expect(seen).toEqual(['a', 'b']);
  });
});
