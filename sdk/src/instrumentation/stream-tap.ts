/**
 * Observes a provider SDK's stream without consuming it: the app still pulls
 * every chunk itself, at its own pace, and the tap only watches (and may drop
 * a chunk the SDK itself asked for). Works on Stainless-generated `Stream`
 * objects (openai, @anthropic-ai/sdk) by wrapping their `iterator` factory,
 * which both `for await` and `tee()` go through.
 */
import { reportInternal } from '../safe.ts';

export const DROP: unique symbol = Symbol('oversight.drop');

export interface StreamObserver {
  /** Returns the chunk to hand to the app, or DROP to hide it. */
  chunk(value: unknown): unknown;
  /**
   * The stream ended, or the app stopped reading it. `aborted` is set when the
   * request was aborted under it: the clients end such a stream quietly, as if
   * it were complete, so the span must say it was cut short.
   */
  done(aborted?: Aborted): void;
  error(error: unknown): void;
  /**
   * The app let `UNREAD_STREAM_MS` pass without starting to read the stream: end what it can.
   * `aborted` is set when the app aborted the request meanwhile (why it never read it, often).
   */
  unread?(aborted?: Aborted): void;
}

/**
 * How long a stream handed to the app may go unread before its span ends as
 * it is: an app that drops the stream (its client went away first) would
 * otherwise leave the call's span open, and the call out of its trace.
 */
export const UNREAD_STREAM_MS = 60_000;

/** Why a stream was cut short: its request's abort signal's reason. */
export interface Aborted {
  reason: unknown;
}

const TAPPED = Symbol.for('oversight.stream.tapped');

/** Signals of the stream helpers (`messages.stream()`, `chat.completions.stream()`) the app stopped reading. */
const leftByReader = new WeakSet<object>();

/**
 * Watches a client's stream helper, which aborts its request when the app
 * leaves its `for await` early: that abort is the app's choice to stop
 * reading, as a `break` out of the stream itself is, not a call cut short.
 */
export function watchStreamHelper(helper: unknown): void {
  const h = helper as Record<PropertyKey, unknown> | null;
  const signal = (h?.controller as { signal?: unknown } | undefined)?.signal;
  const iterate = h?.[Symbol.asyncIterator];
  if (!h || typeof signal !== 'object' || signal === null || typeof iterate !== 'function') return;
  h[Symbol.asyncIterator] = function watchedIterator(this: unknown, ...args: unknown[]) {
    const it = iterate.apply(this, args) as AsyncIterator<unknown>;
    const leave = it.return;
    if (typeof leave === 'function') {
      it.return = (...a: [] | [unknown]) => {
        leftByReader.add(signal);
        return leave.apply(it, a);
      };
    }
    return it;
  };
}

/** The signal a client call was made with (its request options'), which a stream helper passes its own as. */
export function requestSignal(args: unknown[]): unknown {
  return (args[1] as { signal?: unknown } | null | undefined)?.signal;
}

/**
 * Taps `stream` for `observer`. `requestSignal` is the signal the request was
 * made with: a stream helper's own, when a helper made it, tells an abort of
 * a helper the app stopped reading from one the app asked for.
 */
export function tapStream<S>(stream: S, observer: StreamObserver, requestSignal?: unknown): S {
  const s = stream as Record<PropertyKey, unknown> | null;
  if (!s || typeof s !== 'object' || s[TAPPED]) return stream;
  // Stainless streams hold the AbortController of their request; the app's own
  // signal (request option) and `stream.controller.abort()` both abort it.
  const streamSignal = (s.controller as { signal?: unknown } | undefined)?.signal as AbortSignal | undefined;
  const cutShort = (): Aborted | undefined => {
    if (!streamSignal?.aborted || leftByReader.has(requestSignal as object)) return undefined;
    // The Anthropic client aborts its own controller without a reason when the app's
    // signal aborts: the app's signal says why (its timeout, its own error). Not when
    // that is a helper's, whose abort listener hands on the abort event as the reason.
    const asked = requestSignal as { aborted?: unknown; reason?: unknown } | null | undefined;
    const why = asked?.aborted === true ? asked.reason : undefined;
    const event = typeof Event === 'function' && why instanceof Event;
    return { reason: why === undefined || event ? streamSignal.reason : why };
  };
  let unread: ReturnType<typeof setTimeout> | undefined;
  const reading = () => {
    if (unread !== undefined) clearTimeout(unread);
    unread = undefined;
  };
  if (typeof s.iterator === 'function') {
    const original = s.iterator as (...args: unknown[]) => AsyncIterator<unknown>;
    s.iterator = function tappedIterator(this: unknown, ...args: unknown[]) {
      reading();
      return tapIterator(original.apply(this, args), observer, cutShort);
    };
  } else if (typeof s[Symbol.asyncIterator] === 'function') {
    const original = s[Symbol.asyncIterator] as (...args: unknown[]) => AsyncIterator<unknown>;
    s[Symbol.asyncIterator] = function tappedAsyncIterator(this: unknown, ...args: unknown[]) {
      reading();
      return tapIterator(original.apply(this, args), observer, cutShort);
    };
  } else {
    return stream;
  }
  Object.defineProperty(s, TAPPED, { value: true });
  if (observer.unread) {
    const giveUp = observer.unread.bind(observer);
    unread = setTimeout(() => {
      unread = undefined;
      try {
        giveUp(cutShort());
      } catch (error) {
        reportInternal('ending an unread stream span', error);
      }
    }, UNREAD_STREAM_MS);
    unread.unref?.();
  }
  return stream;
}

/**
 * How a stream ends decides its span's status. The inner iterator reporting
 * done while the request's signal is aborted means the request was cut off
 * (the app aborted it, or its timeout did): the clients swallow the abort and
 * end the stream as if complete, so the span ends as an error. The app leaving
 * a `for await` early (`break`, `return()`) is its own choice about a call that
 * went fine so far: the span ends without an error, only without a finish
 * reason. A dropped connection throws from the inner iterator and fails the span.
 */
function tapIterator(
  inner: AsyncIterator<unknown>,
  observer: StreamObserver,
  cutShort: () => Aborted | undefined,
): AsyncIterableIterator<unknown> {
  let finished = false;
  const finish = (aborted?: Aborted) => {
    if (finished) return;
    finished = true;
    try {
      observer.done(aborted);
    } catch (error) {
      // Telemetry must not break the app's stream.
      reportInternal('ending a stream span', error);
    }
  };
  const fail = (error: unknown) => {
    if (finished) return;
    finished = true;
    try {
      observer.error(error);
    } catch (bug) {
      reportInternal('failing a stream span', bug);
    }
  };
  const see = (value: unknown): unknown => {
    try {
      return observer.chunk(value);
    } catch (error) {
      // The app gets the chunk as it came.
      reportInternal('reading a stream chunk', error);
      return value;
    }
  };
  const onError = (error: unknown): never => {
    fail(error);
    throw error;
  };
  // Plain promise chaining rather than an async function per chunk: one
  // reaction per chunk on the inner iterator's promise, and the inner result
  // object is handed on (it is fresh per step) instead of a new one.
  const step = (
    result: IteratorResult<unknown>,
  ): IteratorResult<unknown> | Promise<IteratorResult<unknown>> => {
    if (result.done) {
      finish(cutShort());
      return result;
    }
    if (finished) return result;
    const value = see(result.value);
    if (value === DROP) return inner.next().then(step, onError);
    if (value !== result.value) return { done: false, value };
    return result;
  };
  const pull = (args: [] | [unknown]): Promise<IteratorResult<unknown>> => {
    let pending: Promise<IteratorResult<unknown>>;
    try {
      pending = inner.next(...args);
    } catch (error) {
      fail(error);
      return Promise.reject(error);
    }
    return pending.then(step, onError);
  };
  // The latest next() while it is unsettled. A next() called before the one
  // before it settled waits for it: a hidden chunk's replacement is pulled
  // then, and must not be overtaken by a pull made meanwhile.
  let busy: Promise<IteratorResult<unknown>> | undefined;
  return {
    next(...args: [] | [unknown]) {
      const run = () => pull(args);
      const result = busy ? busy.then(run, run) : run();
      busy = result;
      const idle = () => {
        if (busy === result) busy = undefined;
      };
      result.then(idle, idle);
      return result;
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
