/**
 * `@oversight/conventions/attributes`: the names and the provider table
 * without the feedback schema, so code on an app's startup path (the SDK's
 * instrumentations) does not load zod for a schema only `feedback()` needs.
 */
export { ATTR_ERROR_TYPE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
export * from './evaluation.ts';
export * from './gen-ai.ts';
export * from './guardrail.ts';
export * from './legacy.ts';
export * from './oversight.ts';
export * from './providers.ts';

/** Attribute values as the SDK builds them before handing them to a span. */
export type AttributesLike = Record<string, string | number | boolean | string[]>;
