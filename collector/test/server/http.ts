/**
 * Plain `fetch` against a running collector, and readers for what it answers:
 * an ExportTraceServiceResponse on success, a google.rpc.Status on failure,
 * each in the encoding of the request.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { ExportTraceServiceResponseType } from '../../src/otlp/proto-schema.ts';
import { decodeRpcStatus } from '../../src/receive/rpc-status.ts';
import type { Store } from '../../src/store/store.ts';
import { waitFor } from '../helpers/collector.ts';
import { request, span, type TestKeyValue, type TestSpan } from '../otlp/requests.ts';

export type Format = 'protobuf' | 'json';

export const CONTENT_TYPE: Record<Format, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

export interface PostOptions {
  key?: string | null;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  contentType: string;
  /** google.rpc.Status for failures, ExportTraceServiceResponse (as plain JSON) for 200. */
  body: Record<string, unknown>;
}

/** Posts a body to /v1/traces; `format` decides the Content-Type unless given. */
export async function postTraces(
  url: string,
  body: Uint8Array | ReadableStream<Uint8Array>,
  format: Format,
  options: PostOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? CONTENT_TYPE[format],
    ...options.headers,
  };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const response = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const contentType = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    headers: response.headers,
    contentType,
    body: readBody(response.status, bytes, contentType),
  };
}

function readBody(status: number, bytes: Uint8Array, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) {
    return bytes.length ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>) : {};
  }
  if (contentType.startsWith('application/x-protobuf')) {
    if (status >= 400) return { ...decodeRpcStatus(bytes) };
    const response = ExportTraceServiceResponseType.decode(bytes);
    return ExportTraceServiceResponseType.toObject(response, { longs: String }) as Record<string, unknown>;
  }
  return { text: Buffer.from(bytes).toString('utf8') };
}

/** Now, in ns: rows older than the tables' TTL (30 days) would be dropped by ClickHouse on arrival. */
export const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** A span of now with a fresh random trace id, so a test can find exactly its rows. */
export function freshSpan(overrides: TestSpan = {}): TestSpan & { traceId: string; spanId: string } {
  const start = nowNs();
  return {
    ...span(),
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + 1_000_000n).toString(),
    ...overrides,
  } as TestSpan & { traceId: string; spanId: string };
}

export function body(format: Format, spans: TestSpan[], resource: TestKeyValue[] = []): Uint8Array {
  return request(format, spans, resource);
}

export async function traceRows<T = Record<string, unknown>>(
  store: Store,
  traceId: string,
  columns = 'SpanId, ProjectId',
): Promise<T[]> {
  return store.query<T>(`SELECT ${columns} FROM otel_traces WHERE TraceId = {id:String} ORDER BY SpanId`, {
    params: { id: traceId },
  });
}

/** Waits until `count` rows of the trace are in otel_traces and returns them. */
export function waitForTrace<T = Record<string, unknown>>(
  store: Store,
  traceId: string,
  count: number,
  columns?: string,
): Promise<T[]> {
  return waitFor(
    async () => {
      const rows = await traceRows<T>(store, traceId, columns);
      return rows.length >= count ? rows : null;
    },
    15_000,
    `${count} span(s) of trace ${traceId} in otel_traces`,
  );
}

/** The collector still takes a valid request, and its span reaches ClickHouse. */
export async function expectStillServing(
  url: string,
  store: Store,
  key: string,
  format: Format = 'protobuf',
) {
  const probe = freshSpan({ name: 'still serving' });
  const answer = await postTraces(url, body(format, [probe]), format, { key });
  expect(answer.status).toBe(200);
  const [row] = await waitForTrace<{ SpanId: string }>(store, probe.traceId, 1);
  expect(row?.SpanId).toBe(probe.spanId);
}

/** One sample of a Prometheus text exposition, e.g. `oversight_spans_received_total{format="json"}`. */
export function metricValue(exposition: string, series: string): number {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}
