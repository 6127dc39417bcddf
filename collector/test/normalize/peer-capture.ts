/**
 * Runs one real LLM call through a real peer instrumentation against the mock
 * server and returns the spans it emitted, as SpanRecords. Each capture uses
 * its own TracerProvider and restores the patched openai prototypes after, so
 * instrumentations never stack on each other.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import { OpenAIInstrumentation as ArizeInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { OpenAIInstrumentation as TraceloopInstrumentation } from '@traceloop/instrumentation-openai';
import { generateText, streamText } from 'ai';
import OpenAI, * as openaiModule from 'openai';
import type { SpanRecord } from '../../src/otlp/span-record.ts';
import { toSpanRecord } from '../helpers/to-span-record.ts';

export interface PeerCall {
  baseURL: string;
  model: string;
  system: string;
  user: string;
  stream: boolean;
}

function newProvider(): { provider: TracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return { provider, exporter };
}

async function finish(provider: TracerProvider, exporter: InMemorySpanExporter): Promise<SpanRecord[]> {
  // Some instrumentations end a streamed span from a teed copy of the stream, a few ticks after the caller is done.
  for (let i = 0; i < 100 && exporter.getFinishedSpans().length === 0; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans().map(toSpanRecord);
  await provider.shutdown();
  trace.disable();
  return spans;
}

/** Shimmer wraps prototype methods in place: remember the originals to put them back. */
function snapshotPrototypes(): () => void {
  const targets = [
    OpenAI.Chat.Completions.prototype,
    OpenAI.Responses.prototype,
    OpenAI.Embeddings.prototype,
    OpenAI.Completions.prototype,
  ];
  const saved = targets.map((proto) => [proto, Object.getOwnPropertyDescriptor(proto, 'create')] as const);
  return () => {
    for (const [proto, descriptor] of saved)
      if (descriptor) Object.defineProperty(proto, 'create', descriptor);
  };
}

async function callOpenAI(call: PeerCall): Promise<void> {
  const client = new OpenAI({ baseURL: `${call.baseURL}/v1`, apiKey: 'test-key' });
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: call.system },
    { role: 'user', content: call.user },
  ];
  if (!call.stream) {
    await client.chat.completions.create({ model: call.model, messages });
    return;
  }
  const stream = await client.chat.completions.create({
    model: call.model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const _chunk of stream) {
    // Draining the stream is what ends the instrumentation's span.
  }
}

export async function captureTraceloop(call: PeerCall): Promise<SpanRecord[]> {
  const { provider, exporter } = newProvider();
  const restore = snapshotPrototypes();
  const instrumentation = new TraceloopInstrumentation({ enrichTokens: false });
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(OpenAI);
  try {
    await callOpenAI(call);
  } finally {
    restore();
  }
  return finish(provider, exporter);
}

export async function captureArize(call: PeerCall): Promise<SpanRecord[]> {
  const { provider, exporter } = newProvider();
  const restore = snapshotPrototypes();
  const instrumentation = new ArizeInstrumentation({ tracerProvider: provider });
  // Arize types the module against its own openai version; the runtime shape is the same.
  instrumentation.manuallyInstrument(
    openaiModule as unknown as Parameters<typeof instrumentation.manuallyInstrument>[0],
  );
  try {
    await callOpenAI(call);
    return await finish(provider, exporter);
  } finally {
    // Arize remembers patched modules process-wide; unpatching forgets it so the next capture patches again.
    (instrumentation as unknown as { unpatch(module: unknown): void }).unpatch(openaiModule);
    restore();
  }
}

/** The AI SDK's own telemetry: `legacy` emits the `ai.*` attributes, otherwise OTel GenAI. */
export async function captureVercel(call: PeerCall, flavour: 'legacy' | 'genai'): Promise<SpanRecord[]> {
  const { provider, exporter } = newProvider();
  const tracer = provider.getTracer('ai');
  const integrations =
    flavour === 'legacy' ? new LegacyOpenTelemetry({ tracer }) : new OpenTelemetry({ tracer });
  const openai = createOpenAI({ baseURL: `${call.baseURL}/v1`, apiKey: 'test-key' });
  const options = {
    model: openai.chat(call.model),
    instructions: call.system,
    prompt: call.user,
    experimental_telemetry: { isEnabled: true, integrations },
  };
  if (call.stream) {
    const result = streamText(options);
    await result.consumeStream();
    await result.usage;
  } else {
    await generateText(options);
  }
  return finish(provider, exporter);
}
