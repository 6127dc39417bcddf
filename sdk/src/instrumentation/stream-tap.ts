/**
 * Observes a provider SDK's stream without consuming it: the app still pulls
 * every chunk itself, at its own pace, and the tap only watches (and may drop
 * a chunk the SDK itself asked for). Works on Stainless-generated `Stream`
 * objects (openai, @anthropic-ai/sdk) by wrapping their `iterator` factory,
 * which both `for await` and `tee()` go through.
 */

export const DROP: unique symbol = Symbol('oversight.drop');

export interface StreamObserver {
  /** Returns the chunk to hand to the app, or DROP to hide it. */
  chunk(value: unknown): unknown;
  done(): void;
  error(error: unknown): void;
}

const TAPPED = Symbol.for('oversight.stream.tapped');

export function tapStream<S>(stream: S, observer: StreamObserver): S {
  const s = stream as Record<PropertyKey, unknown> | null;
  if (!s || typeof s !== 'object' || s[TAPPED]) return stream;
  if (typeof s.iterator === 'function') {
    const original = s.iterator as (...args: unknown[]) => AsyncIterator<unknown>;
    s.iterator = function tappedIterator(this: unknown, ...args: unknown[]) {
      return tapIterator(original.apply(this, args), observer);
    };
  } else if (typeof s[Symbol.asyncIterator] === 'function') {
    const original = s[Symbol.asyncIterator] as (...args: unknown[]) => AsyncIterator<unknown>;
    s[Symbol.asyncIterator] = function tappedAsyncIterator(this: unknown, ...args: unknown[]) {
      return tapIterator(original.apply(this, args), observer);
    };
  } else {
    return stream;
  }
  Object.defineProperty(s, TAPPED, { value: true });
  return stream;
}

function tapIterator(
  inner: AsyncIterator<unknown>,
  observer: StreamObserver,
): AsyncIterableIterator<unknown> {
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    try {
      observer.done();
    } catch {
      // Telemetry must not break the app's stream.
    }
  };
  const fail = (error: unknown) => {
    if (finished) return;
    finished = true;
    try {
      observer.error(error);
    } catch {
      // As above.
    }
  };
  const see = (value: unknown): unknown => {
    try {
      return observer.chunk(value);
    } catch {
      return value;
    }
  };
  return {
    async next(...args: [] | [unknown]) {
      for (;;) {
        let result: IteratorResult<unknown>;
        try {
          result = await inner.next(...args);
        } catch (error) {
          fail(error);
          throw error;
        }
        if (result.done) {
          finish();
          return result;
        }
        const value = finished ? result.value : see(result.value);
        if (value !== DROP) return { done: false, value };
      }
    },
    async return(value?: unknown) {
      finish();
      return inner.return ? inner.return(value) : { done: true, value };
    },
    async throw(error?: unknown) {
      fail(error);
      if (inner.throw) return inner.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
