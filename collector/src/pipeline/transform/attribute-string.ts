/**
 * Attribute values rendered the way the OTel Collector's ClickHouse exporter
 * stores them: pcommon `Value.AsString()`. Strings as-is, integers in decimal,
 * doubles in the ECMAScript number-to-string form (which is what pdata's
 * float64AsString imitates), booleans `true`/`false`, empty values as '', and
 * arrays/maps as Go's `json.Marshal` of their raw form (map keys sorted by
 * bytes, `<`, `>`, `&`, U+2028 and U+2029 escaped as \u sequences).
 */
import type { Attributes, AttributeValue } from '../../otlp/span-record.ts';

const GO_HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function goJsonString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => GO_HTML_ESCAPES[char] as string);
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

class UnsupportedJsonValue extends Error {}

function goJson(value: AttributeValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UnsupportedJsonValue();
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  const keys = Object.keys(value).sort(compareBytes);
  return `{${keys.map((key) => `${goJsonString(key)}:${goJson(value[key] as AttributeValue)}`).join(',')}}`;
}

function goFloatSpecial(value: number): string {
  const go = Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  return `json: unsupported value: ${go}`;
}

export function attributeValueToString(value: AttributeValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : goFloatSpecial(value);
  try {
    return goJson(value);
  } catch (error) {
    // json.Marshal fails on NaN/Inf and pdata ignores the error: the result is empty.
    if (error instanceof UnsupportedJsonValue) return '';
    throw error;
  }
}

/** `Map(LowCardinality(String), String)` value for a set of attributes. */
export function attributesToMap(attributes: Attributes): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) map[key] = attributeValueToString(value);
  return map;
}
