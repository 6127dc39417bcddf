/**
 * LangChain.js support. Either pass the handler per call
 * (`chain.invoke(input, { callbacks: [new OversightCallbackHandler()] })`) or
 * call `instrumentLangChain()` once so every run gets it without code changes.
 */
import { registerConfigureHook } from '@langchain/core/context';
import { reportInternal } from '../../safe.ts';
import { OversightCallbackHandler } from './handler.ts';

export { OversightCallbackHandler, type OversightCallbackHandlerOptions } from './handler.ts';

/** Set to `false` to switch the global LangChain handler off without code changes. */
export const LANGCHAIN_ENV_FLAG = 'OVERSIGHT_LANGCHAIN_TRACING';

let registered = false;

/**
 * Adds `OversightCallbackHandler` to every LangChain run, the way LangSmith's
 * tracer is added: a configure hook keyed on an environment flag, which this
 * sets to `true` unless the app already set it. Returns whether the hook is on.
 */
export function instrumentLangChain(): boolean {
  try {
    const env = globalThis.process?.env;
    if (env && env[LANGCHAIN_ENV_FLAG] === undefined) env[LANGCHAIN_ENV_FLAG] = 'true';
    if (!registered) {
      registerConfigureHook({ handlerClass: OversightCallbackHandler, envVar: LANGCHAIN_ENV_FLAG });
      registered = true;
    }
    return env?.[LANGCHAIN_ENV_FLAG] === 'true';
  } catch (error) {
    // The boolean tells the caller; the diag line tells why.
    reportInternal('registering the LangChain handler', error);
    return false;
  }
}
