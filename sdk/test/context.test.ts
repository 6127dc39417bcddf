import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  currentSpanId,
  currentTraceId,
  getOversightContext,
  OversightContextSpanProcessor,
  withContext,
} from '../src/context.ts';

const exporter = new InMemorySpanExporter();
let provider: TracerProvider;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  provider = new TracerProvider({
    spanProcessors: [new OversightContextSpanProcessor(), new SimpleSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(provider);
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

beforeEach(() => exporter.reset());

// Stands in for any other instrumentation (openai, http, ...) that knows nothing about us.
const other = () => trace.getTracer('some-other-instrumentation');

function spanNamed(name: string) {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name}: ${exporter.getFinishedSpans().map((s) => s.name)}`);
  return span;
}

describe('withContext', () => {
  it('tags spans started inside by any tracer, across awaits and timers', async () => {
    await withContext({ sessionId: 's-1', userId: 'u-1', metadata: { plan: 'pro', tier: 2 } }, async () => {
      other().startSpan('first').end();
      await new Promise((r) => setTimeout(r, 1));
      other().startSpan('after-timer').end();
    });
    other().startSpan('outside').end();

    for (const name of ['first', 'after-timer']) {
      expect(spanNamed(name).attributes).toMatchObject({
        'gen_ai.conversation.id': 's-1',
        'oversight.session.id': 's-1',
        'oversight.user.id': 'u-1',
        'oversight.metadata.plan': 'pro',
        'oversight.metadata.tier': 2,
      });
    }
    const outside = spanNamed('outside').attributes;
    expect(outside['oversight.session.id']).toBeUndefined();
    expect(outside['oversight.user.id']).toBeUndefined();
  });

  it('merges nested contexts, inner values winning', () => {
    withContext({ sessionId: 'outer', userId: 'u', metadata: { a: '1', b: '1' } }, () => {
      withContext({ sessionId: 'inner', metadata: { b: '2' } }, () => {
        other().startSpan('nested').end();
      });
    });
    expect(spanNamed('nested').attributes).toMatchObject({
      'oversight.session.id': 'inner',
      'oversight.user.id': 'u',
      'oversight.metadata.a': '1',
      'oversight.metadata.b': '2',
    });
  });

  it('leaves an attribute the emitter set itself alone', () => {
    withContext({ sessionId: 'ours' }, () => {
      other()
        .startSpan('explicit', { attributes: { 'gen_ai.conversation.id': 'theirs' } })
        .end();
    });
    const attrs = spanNamed('explicit').attributes;
    expect(attrs['gen_ai.conversation.id']).toBe('theirs');
    expect(attrs['oversight.session.id']).toBe('ours');
  });

  it('reads tags that arrived as baggage from an upstream service', () => {
    const bag = propagation.createBaggage({
      'oversight.session.id': { value: 'from-upstream' },
      'oversight.metadata.region': { value: 'eu' },
    });
    context.with(propagation.setBaggage(context.active(), bag), () => {
      expect(getOversightContext()).toEqual({ sessionId: 'from-upstream', metadata: { region: 'eu' } });
      other().startSpan('downstream').end();
    });
    expect(spanNamed('downstream').attributes).toMatchObject({
      'oversight.session.id': 'from-upstream',
      'oversight.metadata.region': 'eu',
    });
  });

  it('puts the tags in baggage so a propagator can carry them on', () => {
    withContext({ sessionId: 's', userId: 'u', metadata: { k: 'v' } }, () => {
      const bag = propagation.getBaggage(context.active());
      expect(bag?.getEntry('oversight.session.id')?.value).toBe('s');
      expect(bag?.getEntry('oversight.user.id')?.value).toBe('u');
      expect(bag?.getEntry('oversight.metadata.k')?.value).toBe('v');
    });
  });

  it('returns what fn returns, the same promise object, and rethrows its errors unchanged', async () => {
    expect(withContext({ sessionId: 's' }, () => 42)).toBe(42);
    const promise = Promise.resolve('x');
    expect(withContext({ sessionId: 's' }, () => promise)).toBe(promise);
    const boom = new RangeError('app error');
    expect(() =>
      withContext({ sessionId: 's' }, () => {
        throw boom;
      }),
    ).toThrow(boom);
  });

  it('ignores metadata values that cannot be attributes', () => {
    const metadata = { ok: 'yes', nan: Number.NaN, obj: { nested: true } } as unknown as Record<
      string,
      string
    >;
    withContext({ metadata }, () => other().startSpan('meta').end());
    const attrs = spanNamed('meta').attributes;
    expect(attrs['oversight.metadata.ok']).toBe('yes');
    expect(attrs['oversight.metadata.nan']).toBeUndefined();
    expect(attrs['oversight.metadata.obj']).toBeUndefined();
  });
});

describe('currentTraceId / currentSpanId', () => {
  it('returns the active span ids, and undefined outside a trace', () => {
    expect(currentTraceId()).toBeUndefined();
    expect(currentSpanId()).toBeUndefined();
    let seen: [string | undefined, string | undefined] = [undefined, undefined];
    other().startActiveSpan('active', (span) => {
      seen = [currentTraceId(), currentSpanId()];
      span.end();
    });
    const span = spanNamed('active');
    expect(seen[0]).toBe(span.spanContext().traceId);
    expect(seen[1]).toBe(span.spanContext().spanId);
    expect(seen[0]).toMatch(/^[0-9a-f]{32}$/);
  });
});
