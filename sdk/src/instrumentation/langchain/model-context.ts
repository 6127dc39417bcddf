/**
 * A LangChain model whose provider client the SDK traces (ChatOpenAI calls
 * `openai`) gets its chat span from the client, and the callback handler
 * passes the model's run through. The client's span nests under whatever
 * OpenTelemetry context is active at the call, and LangChain's callbacks
 * cannot make the chain's span active around it: without this, a chain
 * invoked with no span around it put its retrieval in one trace and its
 * answer in another, and the collector could not score the answer against
 * the retrieval. So the models' entry points run in the context of the run
 * they were called from, as the handler knows it.
 */

import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { BaseLLM } from '@langchain/core/language_models/llms';
import { type Context, context } from '@opentelemetry/api';
import { reportInternal } from '../../safe.ts';

/** What a model's entry points get as their callbacks: a run's child manager, or handlers. */
interface ManagerLike {
  getParentRunId?: () => string | undefined;
  handlers?: readonly unknown[];
}

/** A handler that knows the context each of its open runs' children start in. */
export interface RunContexts {
  contextOf(runId: string): Context | undefined;
}

type Lookup = (handler: unknown) => RunContexts | undefined;

const ORIGINAL = Symbol('oversight.langchain.original');
type Patched = ((...args: unknown[]) => unknown) & { [ORIGINAL]?: (...args: unknown[]) => unknown };

/** The context of the run that called the model, read from the callbacks of its config. */
function callerContext(callbacks: unknown, lookup: Lookup): Context | undefined {
  const manager = callbacks as ManagerLike | undefined;
  if (typeof manager?.getParentRunId !== 'function' || !Array.isArray(manager.handlers)) return undefined;
  const parentRunId = manager.getParentRunId();
  if (parentRunId === undefined) return undefined;
  for (const handler of manager.handlers) {
    const ctx = lookup(handler)?.contextOf(parentRunId);
    if (ctx) return ctx;
  }
  return undefined;
}

function contextFor(callbacks: unknown, lookup: Lookup): Context | undefined {
  try {
    return callerContext(callbacks, lookup);
  } catch (error) {
    // The model still runs, in whatever context is active.
    reportInternal('finding the LangChain run a model was called from', error);
    return undefined;
  }
}

/** `_generateUncached(input, callOptions, runnableConfig, …)`: the config's callbacks are the caller's. */
function wrapGenerate(original: Patched, lookup: Lookup): Patched {
  const wrapped: Patched = function (this: unknown, ...args: unknown[]) {
    const ctx = contextFor((args[2] as { callbacks?: unknown } | undefined)?.callbacks, lookup);
    return ctx ? context.with(ctx, () => original.apply(this, args)) : original.apply(this, args);
  };
  wrapped[ORIGINAL] = original;
  return wrapped;
}

/**
 * `_streamIterator(input, options)`, an async generator: its body runs on each
 * `next()`, so each step runs in the caller's context (the client's request
 * is made inside the first).
 */
function wrapStream(original: Patched, lookup: Lookup): Patched {
  const wrapped: Patched = function (this: unknown, ...args: unknown[]) {
    const ctx = contextFor((args[1] as { callbacks?: unknown } | undefined)?.callbacks, lookup);
    const inner = original.apply(this, args) as AsyncGenerator<unknown, unknown, unknown>;
    if (!ctx) return inner;
    const stepIn =
      <A extends unknown[], R>(step: (...a: A) => R) =>
      (...a: A): R =>
        context.with(ctx, () => step.apply(inner, a));
    return {
      next: stepIn(inner.next),
      return: stepIn(inner.return),
      throw: stepIn(inner.throw),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };
  wrapped[ORIGINAL] = original;
  return wrapped;
}

const TARGETS = [
  [BaseChatModel.prototype, '_generateUncached', wrapGenerate],
  [BaseChatModel.prototype, '_streamIterator', wrapStream],
  [BaseLLM.prototype, '_generateUncached', wrapGenerate],
  [BaseLLM.prototype, '_streamIterator', wrapStream],
] as const;

/** Wraps the models' entry points once; `lookup` tells a run-context handler among a run's handlers. */
export function patchModelContexts(lookup: Lookup): void {
  for (const [proto, method, wrap] of TARGETS) {
    const target = proto as unknown as Record<string, Patched>;
    const current = target[method];
    if (typeof current !== 'function' || current[ORIGINAL]) continue;
    target[method] = wrap(current, lookup);
  }
}

/** Puts the models' entry points back as they were. */
export function unpatchModelContexts(): void {
  for (const [proto, method] of TARGETS) {
    const target = proto as unknown as Record<string, Patched>;
    const original = target[method]?.[ORIGINAL];
    if (original) target[method] = original;
  }
}
