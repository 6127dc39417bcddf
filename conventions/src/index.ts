/**
 * `@oversight/conventions`: the vocabulary the SDK writes and the collector
 * reads. Every `gen_ai.*` / `oversight.*` name either side uses, the
 * provider-name table, and the feedback body schema.
 */
export * from './attributes.ts';
export * from './feedback.ts';
