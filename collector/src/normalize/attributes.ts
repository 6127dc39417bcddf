/** Tolerant readers over span attributes: emitters disagree on types (numbers as strings, arrays as JSON). */
import { wellFormedDeep } from '@oversight/scorers';
import type { Attributes, AttributeValue } from '../otlp/span-record.ts';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}

export function asNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A token-style count: a non-negative safe integer, else null. */
export function asCount(value: number | null): number | null {
  return value !== null && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** The first key present with a non-empty value, as a string. */
export function firstString(attrs: Attributes, keys: readonly string[]): string {
  for (const key of keys) {
    const value = asString(attrs[key]);
    if (value !== '') return value;
  }
  return '';
}

export function firstNumber(attrs: Attributes, keys: readonly string[]): number | null {
  for (const key of keys) {
    const value = asNumber(attrs[key]);
    if (value !== null) return value;
  }
  return null;
}

/** A `\uD83D`-style escape of half a surrogate pair: JSON allows it alone, UTF-8 has no form for it. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * JSON text parsed, other values returned as they are; unparsable text stays
 * text. An emitter that cut a string inside an emoji before serialising it
 * leaves an escaped lone surrogate: parsed as is, it would reach ClickHouse,
 * which refuses the whole insert, so it becomes U+FFFD here.
 */
export function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed.startsWith('"'))) return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return value;
  }
  return SURROGATE_ESCAPE.test(trimmed) ? wellFormedDeep(parsed) : parsed;
}

/** Arrays, JSON arrays in a string, or a single string, as a list of strings. */
export function stringList(value: unknown): string[] {
  const parsed = parseJson(value);
  if (Array.isArray(parsed)) return parsed.map(asString).filter((s) => s !== '');
  const single = asString(parsed);
  return single ? [single] : [];
}

/**
 * Groups flattened list attributes: `prefix.0.role`, `prefix.0.content`,
 * `prefix.1.role` → [{ role, content }, { role }], ordered by index.
 */
export function indexed(attrs: Attributes, prefix: string): Record<string, AttributeValue>[] {
  const byIndex = new Map<number, Record<string, AttributeValue>>();
  const start = `${prefix}.`;
  for (const [key, value] of Object.entries(attrs)) {
    if (!key.startsWith(start)) continue;
    const rest = key.slice(start.length);
    const dot = rest.indexOf('.');
    const index = Number(dot === -1 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index) || index < 0) continue;
    const entry = byIndex.get(index) ?? {};
    entry[dot === -1 ? '' : rest.slice(dot + 1)] = value;
    byIndex.set(index, entry);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, entry]) => entry);
}

/** Keys under `prefix.` with the prefix removed. */
export function withPrefix(attrs: Attributes, prefix: string): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  const start = `${prefix}.`;
  for (const [key, value] of Object.entries(attrs))
    if (key.startsWith(start)) out[key.slice(start.length)] = value;
  return out;
}

/** Flat string map for metadata columns. */
export function stringMap(source: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    const text = asString(value);
    if (text !== '') out[key] = text;
  }
  return out;
}
