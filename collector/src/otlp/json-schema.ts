/**
 * zod schemas for OTLP/JSON (the protobuf JSON mapping with OTLP's changes:
 * lowerCamelCase keys, hex trace/span ids, integer enums). Proto3 JSON allows
 * null for any field and integers as string or number, so both are accepted.
 *
 * Nested array/kvlist contents are left as `unknown` here: the converter
 * validates them level by level so it can stop at the depth limit instead of
 * letting a hostile nesting drive a recursive validator.
 */
import { z } from 'zod';

const SPAN_KIND_NAMES = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
] as const;
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;

/** Enums are integers in OTLP/JSON; protobuf JSON decoders also accept the value names. */
function enumValue(names: readonly string[]) {
  return z
    .union([z.number().int(), z.string()], { error: 'expected an enum integer' })
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      const index = names.indexOf(value);
      if (index >= 0) return index;
      ctx.issues.push({ code: 'custom', message: `unknown enum value "${value}"`, input: value });
      return z.NEVER;
    });
}

/**
 * zod's `.int()` stops at 2^53, but int64 fields written as JSON numbers go
 * beyond it (nanosecond timestamps, the OTel JS encoder's intValue).
 */
const integer = z.number().refine(Number.isInteger, { error: 'expected an integer' });

const uint64 = z.union(
  [
    z.string().regex(/^[0-9]{1,20}$/, { error: 'expected an unsigned decimal integer' }),
    integer.refine((n) => n >= 0, { error: 'expected an unsigned integer' }),
  ],
  {
    error: 'expected an unsigned integer (decimal string or number)',
  },
);

export const int64Schema = z.union(
  [z.string().regex(/^-?[0-9]{1,20}$/, { error: 'expected a decimal integer' }), integer],
  {
    error: 'expected an integer (decimal string or number)',
  },
);

export const doubleSchema = z.union(
  [
    z.number(),
    z.enum(['NaN', 'Infinity', '-Infinity']),
    z.string().regex(/^-?[0-9.]+([eE][-+]?[0-9]+)?$/, { error: 'expected a number' }),
  ],
  { error: 'expected a number' },
);

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, { error: 'expected base64' });

const nested = z.object({ values: z.array(z.unknown()).nullish() });

export const anyValueSchema = z.object({
  stringValue: z.string().nullish(),
  boolValue: z.boolean().nullish(),
  intValue: int64Schema.nullish(),
  doubleValue: doubleSchema.nullish(),
  arrayValue: nested.nullish(),
  kvlistValue: nested.nullish(),
  bytesValue: base64.nullish(),
});

export const keyValueSchema = z.object({
  key: z.string().nullish(),
  value: anyValueSchema.nullish(),
});

const attributes = z.array(keyValueSchema).nullish();
// uint32 and fixed32 (dropped counts, flags): proto3 JSON writes numbers
// but lets a decimal string stand for one, and a decoder must take both.
// The collector reads none of them; refusing one would lose the batch.
const COUNT_ERROR = 'expected an unsigned integer (number or decimal string)';
const count = z
  .union(
    [
      z.number().int({ error: COUNT_ERROR }).nonnegative({ error: COUNT_ERROR }),
      z.string().regex(/^[0-9]{1,10}$/, { error: COUNT_ERROR }),
    ],
    { error: COUNT_ERROR },
  )
  .nullish();

const eventSchema = z.object({
  timeUnixNano: uint64.nullish(),
  name: z.string().nullish(),
  attributes,
  droppedAttributesCount: count,
});

const linkSchema = z.object({
  traceId: z.string().nullish(),
  spanId: z.string().nullish(),
  traceState: z.string().nullish(),
  attributes,
  droppedAttributesCount: count,
  flags: count,
});

export const spanSchema = z.object({
  traceId: z.string().nullish(),
  spanId: z.string().nullish(),
  traceState: z.string().nullish(),
  parentSpanId: z.string().nullish(),
  flags: count,
  name: z.string().nullish(),
  kind: enumValue(SPAN_KIND_NAMES).nullish(),
  startTimeUnixNano: uint64.nullish(),
  endTimeUnixNano: uint64.nullish(),
  attributes,
  droppedAttributesCount: count,
  events: z.array(eventSchema).nullish(),
  droppedEventsCount: count,
  links: z.array(linkSchema).nullish(),
  droppedLinksCount: count,
  status: z.object({ message: z.string().nullish(), code: enumValue(STATUS_CODE_NAMES).nullish() }).nullish(),
});

const scopeSpansSchema = z.object({
  scope: z
    .object({
      name: z.string().nullish(),
      version: z.string().nullish(),
      attributes,
      droppedAttributesCount: count,
    })
    .nullish(),
  // Checked span by span as they are read: a malformed one is rejected alone.
  spans: z.array(z.unknown()).nullish(),
  schemaUrl: z.string().nullish(),
});

const resourceSpansSchema = z.object({
  resource: z.object({ attributes, droppedAttributesCount: count }).nullish(),
  scopeSpans: z.array(scopeSpansSchema).nullish(),
  schemaUrl: z.string().nullish(),
});

export const exportTraceServiceRequestSchema = z.object(
  { resourceSpans: z.array(resourceSpansSchema).nullish() },
  { error: 'expected an ExportTraceServiceRequest JSON object' },
);

export type JsonAnyValue = z.infer<typeof anyValueSchema>;
export type JsonKeyValue = z.infer<typeof keyValueSchema>;
export type JsonSpan = z.infer<typeof spanSchema>;
export type JsonExportTraceServiceRequest = z.infer<typeof exportTraceServiceRequestSchema>;

/** `['resourceSpans', 0, 'traceId']` -> `resourceSpans[0].traceId`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}
