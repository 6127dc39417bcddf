import type { ServerResponse } from 'node:http';
import type { PromptCache } from './prompt-cache.ts';
import type { ScriptedAnswer } from './reply.ts';

export interface HandlerContext {
  body: Record<string, unknown>;
  res: ServerResponse;
  chunkDelayMs: number;
  cache: PromptCache;
  script: readonly ScriptedAnswer[];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
