import { ATTR_OVERSIGHT_REQUEST_RETRIED } from '@oversight/conventions/attributes';
import type { LlmCall } from './llm-span.ts';

interface StainlessPromise {
  _thenUnwrap?: (transform: (result: unknown, props: unknown) => unknown) => unknown;
  responsePromise?: Promise<unknown>;
  asResponse?: (...args: unknown[]) => Promise<unknown>;
  parse?: (...args: unknown[]) => Promise<unknown>;
  then: Promise<unknown>['then'];
}

/**
 * How long after its response arrived a call's span waits for the app to
 * read the body (`await`, which ends it with the usage) before it ends
 * anyway, dated at the arrival: an app that takes `.asResponse()`, or never
 * awaits, or whose body fails to parse, would otherwise leave it open.
 */
export const UNREAD_END_MS = 60_000;

/**
 * Hooks the result of a Stainless-generated client call (openai, anthropic)
 * and returns something the app cannot tell from the original: still an
 * APIPromise (so `.withResponse()` / `.asResponse()` keep working), still lazy
 * (the body is parsed only when the app asks). Transport errors end the span
 * as soon as they happen, whether or not the app awaits.
 */
export function observeApiPromise(
  promise: unknown,
  call: LlmCall,
  onResult: (result: unknown, call: LlmCall) => unknown,
  onBug: (error: unknown) => void = () => {},
): unknown {
  const p = promise as StainlessPromise | null;
  if (!p || typeof p.then !== 'function') {
    call.end();
    return promise;
  }
  if (
    typeof p._thenUnwrap === 'function' &&
    p.responsePromise &&
    typeof p.responsePromise.then === 'function'
  ) {
    let read = false;
    let unread: ReturnType<typeof setTimeout> | undefined;
    // Failures here; a success is seen in the transform below, which also gets the retry log id.
    p.responsePromise.then(
      () => {
        if (read) return;
        const arrived = Date.now();
        unread = setTimeout(() => {
          if (!read) call.end(arrived);
        }, UNREAD_END_MS);
        unread.unref?.();
      },
      (error: unknown) => call.fail(error),
    );
    const unwrapped = p._thenUnwrap((result, props) => {
      read = true;
      // A pending timer would hold the call's span, content and all, for a minute after every call.
      if (unread !== undefined) clearTimeout(unread);
      try {
        if ((props as { retryOfRequestLogID?: unknown } | undefined)?.retryOfRequestLogID !== undefined) {
          call.set(ATTR_OVERSIGHT_REQUEST_RETRIED, true);
        }
        return onResult(result, call);
      } catch (error) {
        // Our bug, not the call's failure: end the span as it is and hand the result over.
        onBug(error);
        call.end();
        return result;
      }
    }) as StainlessPromise;
    // Taken alone, the raw Response is all the app will read: the span ends
    // when it arrives. withResponse() and await parse the body as well (the
    // SDKs' withResponse() calls asResponse() itself), and the read ends it.
    const { asResponse, parse } = unwrapped ?? {};
    if (typeof asResponse === 'function' && typeof parse === 'function') {
      let parsing = false;
      unwrapped.parse = function (this: unknown, ...args: unknown[]) {
        parsing = true;
        return parse.apply(this, args);
      };
      unwrapped.asResponse = function (this: unknown, ...args: unknown[]) {
        const response = asResponse.apply(this, args);
        response.then(
          () => {
            if (!parsing) call.end();
          },
          (error: unknown) => call.fail(error),
        );
        return response;
      };
    }
    return unwrapped;
  }
  // Not an APIPromise (another client version): observe a plain promise.
  return p.then(
    (result) => {
      try {
        return onResult(result, call);
      } catch (error) {
        onBug(error);
        call.end();
        return result;
      }
    },
    (error: unknown) => {
      call.fail(error);
      throw error;
    },
  );
}

/**
 * Calls the client's own method with the call's span active, then observes
 * what it returns. A synchronous throw fails the span and reaches the app
 * unchanged: the instrumentation never swallows or replaces the app's error.
 */
export function invokeObserved(
  call: LlmCall,
  invoke: () => unknown,
  onResult: (result: unknown, call: LlmCall) => unknown,
  onBug?: (error: unknown) => void,
): unknown {
  let promise: unknown;
  try {
    promise = call.run(invoke);
  } catch (error) {
    call.fail(error);
    throw error;
  }
  return observeApiPromise(promise, call, onResult, onBug);
}
