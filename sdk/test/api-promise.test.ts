import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { observeApiPromise, UNREAD_END_MS } from '../src/instrumentation/api-promise.ts';
import type { LlmCall } from '../src/instrumentation/llm-span.ts';

/** The parts of a Stainless APIPromise the observer uses: a lazy body behind `_thenUnwrap`. */
function apiPromise() {
  const responsePromise = Promise.resolve({ status: 200 });
  let transform: ((result: unknown, props: unknown) => unknown) | undefined;
  const read = () => Promise.resolve((transform as (r: unknown, p: unknown) => unknown)({ id: 'r1' }, {}));
  const promise = {
    responsePromise,
    _thenUnwrap(t: (result: unknown, props: unknown) => unknown) {
      transform = t;
      // biome-ignore lint/suspicious/noThenProperty: the shape of an APIPromise.
      return { then: (ok: (v: unknown) => unknown) => read().then(ok) };
    },
    // biome-ignore lint/suspicious/noThenProperty: as above.
    then: () => {
      throw new Error('the observer must not read the body itself');
    },
  };
  return { promise, responsePromise };
}

function fakeCall() {
  const ends: (number | undefined)[] = [];
  const call = { end: (at?: number) => ends.push(at), fail: () => ends.push(-1), set: () => {} };
  return { call: call as unknown as LlmCall, ends };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('observeApiPromise', () => {
  it('ends the span of a response nobody reads, dated when it arrived', async () => {
    const { promise, responsePromise } = apiPromise();
    const { call, ends } = fakeCall();
    observeApiPromise(promise, call, () => 'read');
    await responsePromise;
    const arrived = Date.now();
    vi.advanceTimersByTime(UNREAD_END_MS - 1);
    expect(ends).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ends).toEqual([arrived]);
  });

  it('leaves the span to the read when the app awaits the result', async () => {
    const { promise, responsePromise } = apiPromise();
    const { call, ends } = fakeCall();
    const observed = observeApiPromise(promise, call, (result, c) => {
      c.end();
      return result;
    }) as PromiseLike<unknown>;
    await responsePromise;
    expect(await observed).toEqual({ id: 'r1' });
    vi.advanceTimersByTime(UNREAD_END_MS);
    // One end, the read's: the timer saw the body read and did nothing.
    expect(ends).toEqual([undefined]);
  });

  it('holds nothing once the body is read: no timer keeps the span for a minute', async () => {
    const { promise, responsePromise } = apiPromise();
    const { call } = fakeCall();
    const observed = observeApiPromise(promise, call, (result) => result) as PromiseLike<unknown>;
    await responsePromise;
    expect(vi.getTimerCount()).toBe(1);
    await observed;
    expect(vi.getTimerCount()).toBe(0);
  });
});
