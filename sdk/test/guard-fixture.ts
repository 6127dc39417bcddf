/**
 * The guard tests' shared setup: a global tracer provider exporting to memory
 * (the guard records each decision as an apply_guardrail span on the global
 * tracer), an async context manager, and the exporter reset before each test.
 * Call once at the top of a test file.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';

export interface GuardTracing {
  exporter: InMemorySpanExporter;
  /** The one span the test produced (fails the test when there is not exactly one). */
  onlySpan(): ReadableSpan;
}

export function guardTracing(): GuardTracing {
  const exporter = new InMemorySpanExporter();
  let provider: TracerProvider | undefined;
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider?.shutdown();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());
  return {
    exporter,
    onlySpan() {
      const spans = exporter.getFinishedSpans();
      expect(spans).toHaveLength(1);
      return spans[0] as ReadableSpan;
    },
  };
}
