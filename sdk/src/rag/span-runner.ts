/**
 * Runs an app function inside a span: returns exactly what the function
 * returned (the same promise object for async functions), rethrows the
 * function's own errors unchanged, and never throws one of its own.
 */
import {
  type Attributes,
  context,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { reportInternal } from '../safe.ts';
import { RAG_ATTRIBUTES } from './attributes.ts';

const TRACER_NAME = '@oversight/sdk';

export interface StepSpec {
  name: string;
  kind: SpanKind;
  attributes: Attributes;
}

/** One `then()` on a thenable, as one `await` of it would make; a `then()` that throws rejects. */
function settleOnce(thenable: PromiseLike<unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    thenable.then(resolve, reject);
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The `error.type` for a thrown value: its class name, as the conventions ask. */
export function errorTypeOf(err: unknown): string {
  if (err instanceof Error) {
    const ctorName = err.constructor?.name;
    if (ctorName && ctorName !== 'Object') return ctorName;
    return err.name || 'Error';
  }
  return '_OTHER';
}

/** Marks the span failed with the app's error; never throws. */
export function recordError(span: Span, err: unknown): void {
  try {
    span.setAttribute(RAG_ATTRIBUTES.errorType, errorTypeOf(err));
    if (err instanceof Error) span.recordException(err);
    const message = err instanceof Error ? err.message : String(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  } catch (error) {
    // Recording is best effort; the app's error is what matters.
    reportInternal('recording a step error', error);
  }
}

function endOk<T>(span: Span, value: T, onResult: ((span: Span, value: T) => void) | undefined): void {
  try {
    onResult?.(span, value);
  } catch (error) {
    // A result we cannot describe still ends the span.
    reportInternal('describing a step result', error);
  }
  endSpan(span);
}

/** The app's value goes back whether or not the tracer can end the span. */
function endSpan(span: Span): void {
  try {
    span.end();
  } catch (error) {
    reportInternal('ending a step span', error);
  }
}

function endFailed(span: Span, err: unknown): void {
  recordError(span, err);
  endSpan(span);
}

/**
 * Runs `fn` in a new active span. Sync results end the span at once; a
 * returned promise ends it when it settles, and is handed back as is. Any
 * other thenable (a Mongoose query, a knex builder) runs its work at each
 * `then()`, so observing it beside the app's own `await` would run the query
 * twice: it is settled once, and the app gets that promise instead.
 */
export function runStep<T>(
  spec: StepSpec | (() => StepSpec),
  fn: () => T,
  onResult?: (span: Span, value: Awaited<T>) => void,
): T {
  let span: Span;
  let ctx: ReturnType<typeof context.active>;
  try {
    const resolved = typeof spec === 'function' ? spec() : spec;
    span = trace
      .getTracer(TRACER_NAME)
      .startSpan(resolved.name, { kind: resolved.kind, attributes: resolved.attributes });
    ctx = trace.setSpan(context.active(), span);
  } catch (error) {
    reportInternal('starting a step span', error);
    return fn();
  }
  let result: T;
  try {
    result = context.with(ctx, fn);
  } catch (err) {
    endFailed(span, err);
    throw err;
  }
  if (isThenable(result)) {
    const settled = result instanceof Promise ? result : settleOnce(result);
    settled.then(
      (value) => endOk(span, value as Awaited<T>, onResult),
      (err: unknown) => endFailed(span, err),
    );
    return settled as T;
  }
  endOk(span, result as Awaited<T>, onResult);
  return result;
}

export function setAttr(span: Span, key: string, value: string | number | boolean | undefined): void {
  if (value !== undefined) span.setAttribute(key, value);
}

export function dropUndefined(attrs: Record<string, string | number | boolean | undefined>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined) out[key] = value;
  return out;
}
