import Anthropic from '@anthropic-ai/sdk';
import { context, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { instrument } from '../src/instrumentation/instrument.ts';
import { initForTest } from './helpers.ts';

const { handle, exporter } = initForTest();
let mock: MockLlm;
beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(async () => {
  await handle.shutdown();
  await mock.close();
});

/** A model call as another library records it: GenAI attributes, token counts, no cost. */
const call = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': 'claude-haiku-4-5',
  'gen_ai.usage.input_tokens': 1_000,
  'gen_ai.usage.output_tokens': 100,
};

describe('CostSpanProcessor', () => {
  it('prices a call once: not again under the client span that priced it', () => {
    const ours = trace.getTracer('@oversight/instrumentation-anthropic');
    const native = trace.getTracer('@anthropic-ai/sdk');
    // The Anthropic SDK's own span inside ours (nativeSpans): the same call.
    const parent = ours.startSpan('chat claude-haiku-4-5');
    context.with(trace.setSpan(context.active(), parent), () =>
      native.startSpan('anthropic.messages.create', { attributes: call }).end(),
    );
    parent.end();
    // The same library's span on its own: the only record of its call.
    native.startSpan('anthropic.messages.create', { attributes: call }).end();
    const costs = exporter
      .getFinishedSpans()
      .filter((s) => s.instrumentationScope.name === '@anthropic-ai/sdk')
      .map((s) => s.attributes['oversight.usage.cost_usd']);
    expect(costs).toEqual([undefined, (1_000 * 1 + 100 * 5) / 1e6]);
  });

  it("prices @ai-sdk/otel's decide request, which has no convention name", () => {
    exporter.reset();
    const tracer = trace.getTracer('ai');
    tracer
      .startSpan('decide claude-haiku-4-5', { attributes: { ...call, 'gen_ai.operation.name': 'decide' } })
      .end();
    // A name nobody bills stays unpriced.
    tracer.startSpan('step 1', { attributes: { ...call, 'gen_ai.operation.name': 'agent_step' } }).end();
    expect(exporter.getFinishedSpans().map((s) => s.attributes['oversight.usage.cost_usd'])).toEqual([
      (1_000 * 1 + 100 * 5) / 1e6,
      undefined,
    ]);
  });

  it('prices a real client call once when the client traces itself too', async () => {
    // The Anthropic SDK's own spans, asked for by the app (here by handing the client the global
    // provider; `nativeSpans` does it for every client): they end after ours.
    const client = instrument(
      new Anthropic({
        apiKey: 'sk-ant-test',
        baseURL: mock.url,
        maxRetries: 0,
        openTelemetry: { tracerProvider: trace.getTracerProvider() },
      }),
    );
    exporter.reset();
    await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const stream = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 50,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    for await (const _ of stream) {
      // read to the end
    }
    const spans = exporter.getFinishedSpans();
    const native = spans.filter((s) => s.name === 'anthropic.messages.create');
    const ours = spans.filter((s) => s.instrumentationScope.name === '@oversight/instrumentation-anthropic');
    expect([native.length, ours.length]).toEqual([2, 2]);
    expect(native.map((s) => s.attributes['gen_ai.usage.input_tokens'])).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);
    expect(native.map((s) => s.attributes['oversight.usage.cost_usd'])).toEqual([undefined, undefined]);
    expect(ours.map((s) => typeof s.attributes['oversight.usage.cost_usd'])).toEqual(['number', 'number']);
  });
});
