import { ATTR_OVERSIGHT_REQUEST_RETRIED } from '@oversight/conventions/attributes';
import type { LlmCall } from './llm-span.ts';

interface StainlessPromise {
  _thenUnwrap?: (transform: (result: unknown, props: unknown) => unknown) => unknown;
  responsePromise?: Promise<unknown>;
  then: Promise<unknown>['then'];
}

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
    // Failures only: a success is seen in the transform below, which also gets the retry log id.
    p.responsePromise.then(undefined, (error: unknown) => call.fail(error));
    return p._thenUnwrap((result, props) => {
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
    });
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
