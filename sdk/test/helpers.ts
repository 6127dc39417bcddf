import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { type InitOptions, init, type OversightHandle } from '../src/init.ts';

/** init() with spans kept in memory; every test file gets a fresh pipeline. */
export function initForTest(options: InitOptions = {}): {
  handle: OversightHandle;
  exporter: InMemorySpanExporter;
} {
  const exporter = new InMemorySpanExporter();
  const handle = init({
    ...options,
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
    flushOnExit: false,
  });
  return { handle, exporter };
}

export function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const hits = spans.filter((s) => s.name === name);
  if (hits.length !== 1)
    throw new Error(`expected one span named ${name}, got ${spans.map((s) => s.name).join(', ')}`);
  return hits[0] as ReadableSpan;
}

export function json(span: ReadableSpan, key: string): unknown {
  const v = span.attributes[key];
  if (typeof v !== 'string') throw new Error(`${key} is not a string: ${String(v)}`);
  return JSON.parse(v);
}
