/**
 * The Anthropic SDK traces its own calls once a global tracer provider
 * exists. Oversight switches those spans off where they would repeat its own
 * (the same call twice, tokens counted twice), and leaves them where the app
 * asked for them. The real client against the local mock.
 */
import Anthropic from '@anthropic-ai/sdk';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { AnthropicInstrumentation } from '../src/instrumentation/anthropic/instrumentation.ts';
import { instrument } from '../src/instrumentation/instrument.ts';
import { initForTest } from './helpers.ts';

// Built before init(), as an app's module that creates its client at import time does: the
// variable was unset then, so this client resolved a tracer of the global provider.
delete process.env.ANTHROPIC_OPEN_TELEMETRY;
const early = new Anthropic({ apiKey: 'sk-ant-test', maxRetries: 0 });
const { handle, exporter } = initForTest();

const MODEL = 'claude-haiku-4-5';
let mock: MockLlm;
const ask = (client: Anthropic) =>
  client.messages.create({ model: MODEL, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
const names = (e: InMemorySpanExporter) => e.getFinishedSpans().map((s) => s.instrumentationScope.name);

beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(async () => {
  await handle.shutdown();
  await mock.close();
});
beforeEach(() => exporter.reset());

describe("the Anthropic SDK's own spans", () => {
  it('are switched off on a client built before init(), so each call has one LLM span', async () => {
    expect(process.env.ANTHROPIC_OPEN_TELEMETRY).toBe('false');
    // The app's client of the early module, reached through the patched class (not instrument()).
    const client = early.withOptions({ baseURL: mock.url });
    instrument(new Anthropic({ apiKey: 'k', baseURL: mock.url }));
    await ask(client);
    expect(names(exporter)).toEqual(['@oversight/instrumentation-anthropic']);
    // instrument() on such a client does the same.
    exporter.reset();
    await ask(instrument(early.withOptions({ baseURL: mock.url })));
    expect(names(exporter)).toEqual(['@oversight/instrumentation-anthropic']);
  });

  it('are kept when the app gave the client a tracer provider of its own', async () => {
    const appExporter = new InMemorySpanExporter();
    const appProvider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter: appExporter })],
    });
    const client = instrument(
      new Anthropic({
        apiKey: 'sk-ant-test',
        baseURL: mock.url,
        maxRetries: 0,
        openTelemetry: { tracerProvider: appProvider },
      }),
    );
    await ask(client);
    expect(names(exporter)).toEqual(['@oversight/instrumentation-anthropic']);
    expect(appExporter.getFinishedSpans().map((s) => s.name)).toEqual(['anthropic.messages.create']);
    await appProvider.shutdown();
  });

  it('are kept on every client when the instrumentation is told nativeSpans', () => {
    const keep = new AnthropicInstrumentation({ enabled: false, nativeSpans: true });
    const client = early.withOptions({ baseURL: mock.url });
    keep.quietNativeTracer(client);
    expect((client as unknown as { _tracer?: unknown })._tracer).toBeDefined();
    new AnthropicInstrumentation({ enabled: false }).quietNativeTracer(client);
    expect((client as unknown as { _tracer?: unknown })._tracer).toBeUndefined();
  });
});
