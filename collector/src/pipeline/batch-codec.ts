import { deserialize, serialize } from 'node:v8';
import { FEEDBACK_KINDS, type FeedbackKind } from '@oversight/conventions';
import { z } from 'zod';
import type { AttributeValue, SpanRecord } from '../otlp/span-record.ts';

/**
 * One user feedback document as `/v1/feedback` accepted it, settled at
 * receipt (id, time, numeric value): a replay of the log entry must write the
 * very same row, and the feedback table collapses rows by id.
 */
export interface FeedbackEntry {
  /** Stable id from the sender: a resent feedback collapses into one row. */
  id: string;
  /** Unix milliseconds at which the collector accepted it. */
  timestamp: number;
  traceId: string;
  spanId?: string;
  userId?: string;
  kind: FeedbackKind;
  /** thumbs: 1 up / 0 down (or -1); score: the score; comment: 0. */
  value: number;
  comment?: string;
  /** For an `edit`: the answer as the user corrected it. */
  correction?: string;
  metadata?: Record<string, string>;
}

/**
 * One accepted request, as the write-ahead log keeps it: the spans of an OTLP
 * request, or (with no spans) the feedback of a `/v1/feedback` request, which
 * so shares the spans' group commit, drain, deduplication tokens and replay.
 */
export interface IngestBatch {
  projectId: string;
  /** Unix milliseconds at which the collector accepted the request. */
  receivedAt: number;
  spans: SpanRecord[];
  /** Absent from span requests, and from logs written before feedback went through the log. */
  feedback?: FeedbackEntry[];
  /**
   * The request's digest (`ResentRequests.digest`), when it has one: kept in
   * the entry's header, so the next process can recognise a resend of a
   * request this log took, fsynced with it.
   */
  digest?: string;
}

/**
 * Format byte in front of every payload, so the encoding can change without
 * misreading logs written by an older collector.
 *
 * 1 = v8 structured clone: keeps bigint, NaN/±Infinity and -0 exactly, and
 * measured on 200 GenAI spans (~480 KB) at ≈ 0.5 ms to encode (4× faster than
 * JSON with a bigint replacer, same size) — encoding is on the request path.
 */
const FORMAT_V8 = 1;
/** 2 = `2 | digest length (u8) | digest (ASCII) | v8 body`: the digest readable without the body. */
const FORMAT_V8_DIGEST = 2;

export class BatchDecodeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BatchDecodeError';
  }
}

export function encodeBatch(batch: IngestBatch): Buffer {
  const body = serialize({
    projectId: batch.projectId,
    receivedAt: batch.receivedAt,
    spans: batch.spans,
    ...(batch.feedback ? { feedback: batch.feedback } : {}),
  });
  if (batch.digest === undefined) {
    const out = Buffer.allocUnsafe(1 + body.byteLength);
    out[0] = FORMAT_V8;
    out.set(body, 1);
    return out;
  }
  const digest = Buffer.from(batch.digest, 'ascii');
  if (digest.byteLength > 255 || digest.toString('ascii') !== batch.digest)
    throw new RangeError('a batch digest is ASCII of at most 255 characters');
  const out = Buffer.allocUnsafe(2 + digest.byteLength + body.byteLength);
  out[0] = FORMAT_V8_DIGEST;
  out[1] = digest.byteLength;
  out.set(digest, 2);
  out.set(body, 2 + digest.byteLength);
  return out;
}

/** The digest an entry was logged with, read from its header alone; undefined when it has none. */
export function batchDigest(payload: Uint8Array): string | undefined {
  if (payload[0] !== FORMAT_V8_DIGEST || payload.byteLength < 2) return undefined;
  const length = payload[1] as number;
  return Buffer.from(
    payload.buffer,
    payload.byteOffset + 2,
    Math.min(length, payload.byteLength - 2),
  ).toString('ascii');
}

/** OTLP doubles may be NaN or ±Infinity, which `z.number()` refuses. */
const anyNumber = z.custom<number>((v) => typeof v === 'number');

const attributeValue: z.ZodType<AttributeValue> = z.lazy(() =>
  z.union([
    z.string(),
    anyNumber,
    z.boolean(),
    z.null(),
    z.array(attributeValue),
    z.record(z.string(), attributeValue),
  ]),
);
const attributes = z.record(z.string(), attributeValue);

const spanRecord = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string(),
  traceState: z.string(),
  name: z.string(),
  kind: z.enum(['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']),
  startTimeUnixNano: z.bigint(),
  endTimeUnixNano: z.bigint(),
  serviceName: z.string(),
  resourceAttributes: attributes,
  scopeName: z.string(),
  scopeVersion: z.string(),
  attributes,
  events: z.array(z.object({ timeUnixNano: z.bigint(), name: z.string(), attributes })),
  links: z.array(z.object({ traceId: z.string(), spanId: z.string(), traceState: z.string(), attributes })),
  statusCode: z.enum(['Unset', 'Ok', 'Error']),
  statusMessage: z.string(),
});

const feedbackEntry = z.object({
  id: z.string().min(1),
  timestamp: z.number(),
  traceId: z.string(),
  spanId: z.string().optional(),
  userId: z.string().optional(),
  kind: z.enum(FEEDBACK_KINDS),
  value: z.number(),
  comment: z.string().optional(),
  correction: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

const ingestBatch = z.object({
  projectId: z.string().min(1),
  receivedAt: z.number(),
  spans: z.array(spanRecord),
  feedback: z.array(feedbackEntry).optional(),
});

/** Exact inverse of `encodeBatch`; throws `BatchDecodeError` on bytes it did not write. */
export function decodeBatch(payload: Uint8Array): IngestBatch {
  if (payload.byteLength < 2) throw new BatchDecodeError('empty payload');
  let bodyAt = 1;
  let digest: string | undefined;
  if (payload[0] === FORMAT_V8_DIGEST) {
    bodyAt = 2 + (payload[1] as number);
    if (payload.byteLength <= bodyAt) throw new BatchDecodeError('batch ends inside its header');
    digest = batchDigest(payload);
  } else if (payload[0] !== FORMAT_V8) {
    throw new BatchDecodeError(`unknown batch format ${payload[0]}`);
  }
  let value: unknown;
  try {
    value = deserialize(payload.subarray(bodyAt));
  } catch (err) {
    throw new BatchDecodeError(`undecodable batch: ${(err as Error).message}`, { cause: err });
  }
  const parsed = ingestBatch.safeParse(value);
  if (!parsed.success) throw new BatchDecodeError(`malformed batch: ${parsed.error.message}`);
  return digest === undefined ? (parsed.data as IngestBatch) : { ...(parsed.data as IngestBatch), digest };
}
