/**
 * `@oversight/conventions`: the vocabulary the SDK writes and the collector
 * reads. Every `gen_ai.*` / `oversight.*` name either side uses, the
 * provider-name table, and the feedback body schema.
 */
export { ATTR_ERROR_TYPE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
export * from './evaluation.ts';
export * from './feedback.ts';
export * from './gen-ai.ts';
export * from './guardrail.ts';
export * from './legacy.ts';
export * from './oversight.ts';
export * from './providers.ts';

/** Attribute values as the SDK builds them before handing them to a span. */
export type AttributesLike = Record<string, string | number | boolean | string[]>;
