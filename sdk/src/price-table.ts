/**
 * List prices in USD per million tokens, as published by the providers
 * (standard tier, prompts under any long-context threshold). `cacheRead` is the
 * price of a cached input token, `cacheWrite` of a token written to the cache
 * (Anthropic charges for writes; OpenAI and Google do not). Reasoning tokens are
 * billed as output tokens by all three, so they need no column of their own.
 * Keys are model ids; dated snapshots (`gpt-4o-2024-08-06`) match by prefix.
 */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export const PRICE_TABLE_VERSION = '2026-01';

export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  // OpenAI
  'gpt-5.2': { input: 1.75, cacheRead: 0.175, output: 14 },
  'gpt-5.1': { input: 1.25, cacheRead: 0.125, output: 10 },
  'gpt-5': { input: 1.25, cacheRead: 0.125, output: 10 },
  // Variants billed as their own rows, so a prefix match never prices them (see pricing.ts).
  'gpt-5.2-chat': { input: 1.75, cacheRead: 0.175, output: 14 },
  'gpt-5.1-chat': { input: 1.25, cacheRead: 0.125, output: 10 },
  'gpt-5-chat': { input: 1.25, cacheRead: 0.125, output: 10 },
  'gpt-5.1-codex-max': { input: 1.25, cacheRead: 0.125, output: 10 },
  'gpt-5.1-codex': { input: 1.25, cacheRead: 0.125, output: 10 },
  'gpt-5.1-codex-mini': { input: 0.25, cacheRead: 0.025, output: 2 },
  'gpt-5-codex': { input: 1.25, cacheRead: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cacheRead: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cacheRead: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2, cacheRead: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cacheRead: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cacheRead: 0.025, output: 0.4 },
  'gpt-4o': { input: 2.5, cacheRead: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cacheRead: 0.075, output: 0.6 },
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  // The legacy text completion models (`completions.create`).
  'gpt-3.5-turbo-instruct': { input: 1.5, output: 2 },
  'davinci-002': { input: 2, output: 2 },
  'babbage-002': { input: 0.4, output: 0.4 },
  o1: { input: 15, cacheRead: 7.5, output: 60 },
  'o1-mini': { input: 1.1, cacheRead: 0.55, output: 4.4 },
  o3: { input: 2, cacheRead: 0.5, output: 8 },
  'o3-mini': { input: 1.1, cacheRead: 0.55, output: 4.4 },
  'o4-mini': { input: 1.1, cacheRead: 0.275, output: 4.4 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
  // Anthropic (cache writes priced at the 5-minute TTL rate, 1.25x input)
  'claude-opus-4-5': { input: 5, cacheRead: 0.5, cacheWrite: 6.25, output: 25 },
  'claude-opus-4-1': { input: 15, cacheRead: 1.5, cacheWrite: 18.75, output: 75 },
  'claude-opus-4': { input: 15, cacheRead: 1.5, cacheWrite: 18.75, output: 75 },
  'claude-sonnet-4-5': { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15 },
  'claude-sonnet-4': { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15 },
  'claude-haiku-4-5': { input: 1, cacheRead: 0.1, cacheWrite: 1.25, output: 5 },
  'claude-3-7-sonnet': { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15 },
  'claude-3-5-sonnet': { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15 },
  'claude-3-5-haiku': { input: 0.8, cacheRead: 0.08, cacheWrite: 1, output: 4 },
  'claude-3-opus': { input: 15, cacheRead: 1.5, cacheWrite: 18.75, output: 75 },
  'claude-3-haiku': { input: 0.25, cacheRead: 0.03, cacheWrite: 0.3, output: 1.25 },
  // Google (prompts up to 200k tokens)
  'gemini-3-pro': { input: 2, cacheRead: 0.2, output: 12 },
  'gemini-2.5-pro': { input: 1.25, cacheRead: 0.125, output: 10 },
  'gemini-2.5-flash': { input: 0.3, cacheRead: 0.03, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, cacheRead: 0.01, output: 0.4 },
  'gemini-2.0-flash': { input: 0.1, cacheRead: 0.025, output: 0.4 },
  'gemini-2.0-flash-lite': { input: 0.075, output: 0.3 },
  'text-embedding-004': { input: 0, output: 0 },
  'gemini-embedding-001': { input: 0.15, output: 0 },
};
