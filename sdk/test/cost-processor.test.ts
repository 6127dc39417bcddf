import { context, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { initForTest } from './helpers.ts';

const { handle, exporter } = initForTest();
afterAll(() => handle.shutdown());

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
});
