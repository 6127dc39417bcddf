/**
 * Programmatic entry of `@oversight/collector`, for embedding the collector in
 * another Node process or a test; the `oversight` CLI is the usual way to run it.
 */
export { type Config, type ConfigInput, ConfigSchema, resolveConfig } from './config.ts';
export { openConfiguredStore, type RunningCollector, startCollector } from './service.ts';
