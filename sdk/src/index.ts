export * from '@oversight/conventions';
export { type ContentOptions, ContentPolicy } from './content.ts';
export * from './context.ts';
export * from './feedback.ts';
export * from './guard.ts';
export { registerModuleHooks } from './hooks.ts';
export {
  getOversight,
  hasAppTracerProvider,
  type InitOptions,
  init,
  type OversightHandle,
  oversightInstrumentations,
  oversightSpanProcessor,
} from './init.ts';
export { AnthropicInstrumentation } from './instrumentation/anthropic/instrumentation.ts';
export { OversightInstrumentationBase, type OversightInstrumentationConfig } from './instrumentation/base.ts';
export { instrument } from './instrumentation/instrument.ts';
export { OpenAIInstrumentation } from './instrumentation/openai/instrumentation.ts';
export { DEFAULT_PRICES, type ModelPrice, PRICE_TABLE_VERSION } from './price-table.ts';
export { costOf, type PriceOverrides, PriceTable, type TokenUsage } from './pricing.ts';
export * from './rag/index.ts';
export { SDK_VERSION } from './version.ts';
