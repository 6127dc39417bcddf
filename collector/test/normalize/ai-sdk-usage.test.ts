/**
 * The AI SDK traces a call twice over: a span for the call (`ai.generateText`,
 * `ai.embed`, `ai.rerank`, `ai.decide`, … in its `ai.*` flavour; `invoke_agent`
 * and a root `embeddings` / `rerank` / `decide` span in `@ai-sdk/otel`'s GenAI
 * flavour) around one span per provider call, and both may report the tokens
 * used; speech and transcription are one span each. Real calls through the
 * `ai` package and both telemetry integrations (bare, and through the SDK's
 * `aiTelemetry()`), against local servers speaking the providers' wire
 * protocols, exported over OTLP to a running collector: each call's tokens
 * must add up, in `llm_spans` and in its hourly roll-up, to the usage the
 * call itself returned, once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAI } from '@ai-sdk/openai';
import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { type MockLlm, startMockLlm } from '@oversight/mock-llm';
import { aiTelemetry } from '@oversight/sdk/vercel-ai';
import {
  createGateway,
  embed,
  embedMany,
  experimental_decide,
  experimental_generateSpeech,
  experimental_transcribe,
  generateObject,
  generateText,
  rerank,
  stepCountIs,
  streamText,
  type TelemetryOptions,
  tool,
} from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { normalizeSpan } from '../../src/normalize/index.ts';
import type { LlmSpan } from '../../src/normalize/llm-span.ts';
import { startTestCollector, TEST_KEY, waitFor } from '../helpers/collector.ts';
import { toSpanRecord } from '../helpers/to-span-record.ts';
import { spanWith } from './span-fixture.ts';

/** The AI SDK's two integrations as an app wires them itself, and the GenAI one through the SDK. */
type Flavour = 'legacy' | 'genai' | 'oversight';
const FLAVOURS: Flavour[] = ['legacy', 'genai', 'oversight'];
const service = (flavour: Flavour) => `ai-sdk-usage-${flavour}`;

/** What a call returned as its usage: the amount its rows must add up to. */
interface Usage {
  input: number;
  output: number;
  cacheRead: number;
}

interface Result {
  usage: Usage;
  /** Requests the call made to the provider: the model-call rows it must have. */
  modelCalls: number;
}

interface Captured extends Result {
  /** The call's spans, normalized; spans that are no step are left out. */
  rows: LlmSpan[];
}

/** What the stub's transcription and speech models report using. */
const TRANSCRIPTION_USAGE = { input: 57, output: 6 };
const SPEECH_USAGE = { input: 14, output: 240 };

/**
 * The answers the mock LLM cannot give: a JSON object for generateObject
 * (OpenAI chat completions), a transcript (OpenAI transcriptions, billed in
 * tokens), and the AI Gateway's ranking, decision and speech.
 */
function startProviderStub(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/chat/completions') {
        res.end(
          JSON.stringify({
            id: 'chatcmpl-stub',
            object: 'chat.completion',
            created: 1_700_000_000,
            model: 'gpt-4o-mini-2025-06-01',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: '{"city":"Oslo","celsius":4}' },
                finish_reason: 'stop',
              },
            ],
            usage: { prompt_tokens: 23, completion_tokens: 11, total_tokens: 34 },
          }),
        );
        return;
      }
      if (req.url === '/v1/audio/transcriptions') {
        res.end(
          JSON.stringify({
            text: 'Refunds take five days.',
            usage: {
              type: 'tokens',
              input_tokens: TRANSCRIPTION_USAGE.input,
              input_token_details: { text_tokens: 0, audio_tokens: TRANSCRIPTION_USAGE.input },
              output_tokens: TRANSCRIPTION_USAGE.output,
              total_tokens: TRANSCRIPTION_USAGE.input + TRANSCRIPTION_USAGE.output,
            },
          }),
        );
        return;
      }
      if (req.url === '/decision-model') {
        res.end(
          JSON.stringify({
            answers: { refund: { type: 'boolean', probability: 0.93 } },
            model: 'openai/gpt-4o-mini',
            usage: { inputTokens: 41, outputTokens: 3 },
          }),
        );
        return;
      }
      if (req.url === '/speech-model') {
        res.end(
          JSON.stringify({
            audio: Buffer.from('not really mp3').toString('base64'),
            usage: { inputTokens: SPEECH_USAGE.input, outputTokens: SPEECH_USAGE.output },
          }),
        );
        return;
      }
      if (req.url === '/reranking-model') {
        const count = (JSON.parse(body) as { documents: { values: unknown[] } }).documents.values.length;
        const ranking = Array.from({ length: count }, (_, i) => ({
          index: count - 1 - i,
          relevanceScore: 0.9 - i / 10,
        }));
        res.end(JSON.stringify({ ranking }));
        return;
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

const none: Usage = { input: 0, output: 0, cacheRead: 0 };

function languageUsage(u: {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  inputTokenDetails?: { cacheReadTokens?: number | undefined };
}): Usage {
  return {
    input: u.inputTokens ?? 0,
    output: u.outputTokens ?? 0,
    cacheRead: u.inputTokenDetails?.cacheReadTokens ?? 0,
  };
}

type Call = (telemetry: TelemetryOptions) => Promise<Result>;
const once = (usage: Usage): Result => ({ usage, modelCalls: 1 });

function callsAgainst(mockUrl: string, stubUrl: string): Record<string, Call> {
  const openai = createOpenAI({ baseURL: `${mockUrl}/v1`, apiKey: 'test-key' });
  const stub = createOpenAI({ baseURL: `${stubUrl}/v1`, apiKey: 'test-key' });
  const gateway = createGateway({ baseURL: stubUrl, apiKey: 'test-key' });
  return {
    // Two provider calls: the tool call, then the answer from its result.
    'generateText with a tool loop': async (telemetry) => {
      const result = await generateText({
        model: openai.chat('gpt-4o-mini'),
        prompt: 'What is the weather in Paris?',
        tools: {
          get_weather: tool({
            inputSchema: z.object({ location: z.string() }),
            execute: async ({ location }) => `Sunny in ${location}`,
          }),
        },
        stopWhen: stepCountIs(2),
        experimental_telemetry: telemetry,
      });
      expect(result.steps).toHaveLength(2);
      return { usage: languageUsage(result.totalUsage), modelCalls: result.steps.length };
    },
    streamText: async (telemetry) => {
      const result = streamText({
        model: openai.chat('gpt-4o-mini'),
        prompt: 'Stream a short greeting.',
        experimental_telemetry: telemetry,
      });
      await result.consumeStream();
      return once(languageUsage(await result.totalUsage));
    },
    generateObject: async (telemetry) => {
      const result = await generateObject({
        model: stub.chat('gpt-4o-mini'),
        schema: z.object({ city: z.string(), celsius: z.number() }),
        prompt: 'Weather in Oslo as JSON.',
        experimental_telemetry: telemetry,
      });
      expect(result.object).toEqual({ city: 'Oslo', celsius: 4 });
      return once(languageUsage(result.usage));
    },
    embed: async (telemetry) => {
      const result = await embed({
        model: openai.embedding('text-embedding-3-small'),
        value: 'sunny day at the beach',
        experimental_telemetry: telemetry,
      });
      return once({ ...none, input: result.usage.tokens });
    },
    embedMany: async (telemetry) => {
      const result = await embedMany({
        model: openai.embedding('text-embedding-3-small'),
        values: ['refunds take five days', 'shipping is free over fifty euros'],
        experimental_telemetry: telemetry,
      });
      return once({ ...none, input: result.usage.tokens });
    },
    // Reranking reports no tokens: its rows must not invent any.
    rerank: async (telemetry) => {
      const result = await rerank({
        model: gateway.reranking('cohere/rerank-v3.5'),
        query: 'How long do refunds take?',
        documents: ['Shipping is free.', 'Refunds take 5 days.', 'Returns need a receipt.'],
        experimental_telemetry: telemetry,
      });
      expect(result.ranking).toHaveLength(3);
      return once(none);
    },
    decide: async (telemetry) => {
      const result = await experimental_decide({
        model: gateway.decision('openai/gpt-4o-mini'),
        state: 'Customer: the kettle arrived broken, I want my money back.',
        questions: { refund: { type: 'boolean', instructions: 'Does the customer ask for a refund?' } },
        telemetry,
      });
      expect(result.answers.refund).toEqual({ type: 'boolean', probability: 0.93 });
      return once({ ...none, input: result.usage.inputTokens ?? 0, output: result.usage.outputTokens ?? 0 });
    },
    // Neither result carries the usage; the provider reported it, the rows must count it.
    generateSpeech: async (telemetry) => {
      const result = await experimental_generateSpeech({
        model: gateway.speech('openai/gpt-4o-mini-tts'),
        text: 'Your refund is on its way.',
        telemetry,
      });
      expect(result.audio.uint8Array.length).toBeGreaterThan(0);
      return once({ ...none, ...SPEECH_USAGE });
    },
    transcribe: async (telemetry) => {
      const result = await experimental_transcribe({
        model: stub.transcription('gpt-4o-transcribe'),
        audio: new Uint8Array([82, 73, 70, 70, 0, 0, 0, 0, 87, 65, 86, 69]),
        telemetry,
      });
      expect(result.text).toBe('Refunds take five days.');
      return once({ ...none, ...TRANSCRIPTION_USAGE });
    },
  };
}

let mock: MockLlm;
let stub: { server: Server; url: string };
let collector: Awaited<ReturnType<typeof startTestCollector>>;
const captured: Record<Flavour, Record<string, Captured>> = { legacy: {}, genai: {}, oversight: {} };

async function capture(flavour: Flavour): Promise<void> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service(flavour) }),
    spanProcessors: [
      new SimpleSpanProcessor({ exporter: memory }),
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({
          url: `${collector.url}/v1/traces`,
          headers: { authorization: `Bearer ${TEST_KEY}` },
        }),
      }),
    ],
  });
  let telemetry: TelemetryOptions;
  if (flavour === 'oversight') {
    // The SDK's integration traces through the global tracer provider, as init() sets it.
    trace.setGlobalTracerProvider(provider);
    telemetry = aiTelemetry({ functionId: 'usage-test' });
  } else {
    const tracer = provider.getTracer('ai');
    const integrations =
      flavour === 'legacy' ? new LegacyOpenTelemetry({ tracer }) : new OpenTelemetry({ tracer });
    telemetry = { isEnabled: true, functionId: 'usage-test', integrations };
  }
  try {
    for (const [name, call] of Object.entries(callsAgainst(mock.url, stub.url))) {
      memory.reset();
      const result = await call(telemetry);
      await provider.forceFlush();
      const rows = memory
        .getFinishedSpans()
        .map((s) => normalizeSpan(toSpanRecord(s)))
        .filter((s): s is LlmSpan => s !== null);
      captured[flavour][name] = { rows, ...result };
    }
  } finally {
    if (flavour === 'oversight') trace.disable();
    await provider.shutdown();
  }
}

beforeAll(async () => {
  [mock, stub, collector] = await Promise.all([startMockLlm(), startProviderStub(), startTestCollector()]);
  for (const flavour of FLAVOURS) await capture(flavour);
});
afterAll(async () => {
  await mock?.close();
  stub?.server.close();
  await collector?.dispose();
});

const total = (rows: LlmSpan[], pick: (r: LlmSpan) => number | null) =>
  rows.reduce((sum, r) => sum + (pick(r) ?? 0), 0);

/** Operations that are one request to a provider: what the Overview counts as calls. */
const MODEL_CALLS = new Set([
  'chat',
  'text_completion',
  'generate_content',
  'embeddings',
  'rerank',
  'generate_speech',
  'transcribe',
  'decide',
]);

describe.each(FLAVOURS)('AI SDK %s telemetry', (flavour) => {
  const names = [
    'generateText with a tool loop',
    'streamText',
    'generateObject',
    'embed',
    'embedMany',
    'rerank',
    'decide',
    'generateSpeech',
    'transcribe',
  ];

  it.each(names)('%s: the rows count the usage the call returned once', (name) => {
    const call = captured[flavour][name];
    if (!call) throw new Error(`${name} was not captured`);
    if (name !== 'rerank') expect(call.usage.input).toBeGreaterThan(0);
    expect({
      input: total(call.rows, (r) => r.inputTokens),
      output: total(call.rows, (r) => r.outputTokens),
      cacheRead: total(call.rows, (r) => r.cacheReadInputTokens),
    }).toEqual(call.usage);
  });

  it('keeps the span around each call as a row of its own, with no usage', () => {
    const outerOf = (name: string) => captured[flavour][name]?.rows.find((r) => r.parentSpanId === '');
    const expected: Record<string, string> =
      flavour === 'genai'
        ? {
            'generateText with a tool loop': 'invoke_agent',
            streamText: 'invoke_agent',
            generateObject: 'invoke_agent',
            // @ai-sdk/otel names and tags the outer span like the call inside it; only its
            // parentage tells them apart, which a span alone does not show.
            embed: 'embeddings',
            embedMany: 'embeddings',
            rerank: 'rerank',
            decide: 'decide',
          }
        : {
            'generateText with a tool loop': 'invoke_agent',
            streamText: 'invoke_agent',
            generateObject: 'invoke_agent',
            embed: 'invoke_workflow',
            embedMany: 'invoke_workflow',
            rerank: 'invoke_workflow',
            decide: 'invoke_workflow',
          };
    for (const [name, operation] of Object.entries(expected)) {
      const outer = outerOf(name);
      expect(outer, name).toMatchObject({ operation, inputTokens: null, outputTokens: null, costUsd: null });
    }
    // The call's text is still on the row a user opens first.
    expect(outerOf('generateText with a tool loop')?.inputMessages).toEqual([
      { role: 'user', content: 'What is the weather in Paris?' },
    ]);
    expect(outerOf('embedMany')?.requestModel).toBe('text-embedding-3-small');
  });

  // Without the SDK, @ai-sdk/otel's outer embed, rerank and decide spans look like the call inside.
  it.skipIf(flavour === 'genai')('has one model-call row per request to the provider', () => {
    const counted = Object.fromEntries(
      Object.entries(captured[flavour]).map(([name, c]) => [
        name,
        c.rows.filter((r) => MODEL_CALLS.has(r.operation)).length,
      ]),
    );
    const made = Object.fromEntries(
      Object.entries(captured[flavour]).map(([name, c]) => [name, c.modelCalls]),
    );
    expect(counted).toEqual(made);
  });

  it('records a decision, speech and a transcription as model calls, with their model', () => {
    const callOf = (name: string) =>
      captured[flavour][name]?.rows.filter((r) => MODEL_CALLS.has(r.operation) && r.inputTokens !== null);
    expect(callOf('decide')).toEqual([
      expect.objectContaining({ operation: 'decide', requestModel: 'openai/gpt-4o-mini' }),
    ]);
    expect(callOf('generateSpeech')).toEqual([
      expect.objectContaining({ operation: 'generate_speech', requestModel: 'openai/gpt-4o-mini-tts' }),
    ]);
    expect(callOf('transcribe')).toEqual([
      expect.objectContaining({
        operation: 'transcribe',
        requestModel: 'gpt-4o-transcribe',
        outputMessages: [{ role: 'assistant', content: 'Refunds take five days.' }],
      }),
    ]);
    expect(callOf('generateSpeech')?.[0]?.inputMessages).toEqual([
      { role: 'user', content: 'Your refund is on its way.' },
    ]);
  });

  it('sums every call once in llm_spans and its hourly roll-up', async () => {
    const calls = Object.values(captured[flavour]);
    const input = calls.reduce((sum, c) => sum + c.usage.input, 0);
    const output = calls.reduce((sum, c) => sum + c.usage.output, 0);
    const rowCount = calls.reduce((sum, c) => sum + c.rows.length, 0);
    type Sums = { n: number; input: number; output: number };
    const query = (sql: string) =>
      collector.store.query<Sums>(sql, { params: { service: service(flavour) } });
    const stored = await waitFor(
      async () => {
        const [row] = await query(
          `SELECT count() AS n, sum(ifNull(input_tokens, 0)) AS input, sum(ifNull(output_tokens, 0)) AS output
             FROM llm_spans WHERE service_name = {service:String}`,
        );
        return row && Number(row.n) === rowCount ? row : null;
      },
      20_000,
      `${rowCount} llm_spans rows of ${service(flavour)}`,
    );
    expect({ input: Number(stored.input), output: Number(stored.output) }).toEqual({ input, output });
    const [hourly] = await query(
      `SELECT sum(calls) AS n, sum(input_tokens) AS input, sum(output_tokens) AS output
         FROM llm_spans_hourly WHERE service_name = {service:String}`,
    );
    expect({ n: Number(hourly?.n), input: Number(hourly?.input), output: Number(hourly?.output) }).toEqual({
      n: rowCount,
      input,
      output,
    });
  });
});

describe('agent and workflow spans of other emitters', () => {
  const agent = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.usage.input_tokens': 120,
    'gen_ai.usage.output_tokens': 30,
    'oversight.usage.cost_usd': 0.0004,
  };

  it('drop the total an in-process agent reports of its calls, cost included', () => {
    expect(normalizeSpan(spanWith(agent, { name: 'invoke_agent planner', kind: 'Internal' }))).toMatchObject({
      operation: 'invoke_agent',
      requestModel: 'gpt-4o-mini',
      inputTokens: null,
      outputTokens: null,
      costUsd: null,
    });
  });

  it('drop it in every convention: OpenInference agents, OpenLLMetry agents and workflows', () => {
    const internal = { kind: 'Internal' as const };
    const openInference = spanWith(
      {
        'openinference.span.kind': 'AGENT',
        'llm.model_name': 'gpt-4o-mini',
        'llm.token_count.prompt': 120,
        'llm.token_count.completion': 30,
        'llm.cost.total': 0.0004,
      },
      { name: 'CodeAgent.run', ...internal },
    );
    const openLlmetry = (kind: string) =>
      spanWith(
        {
          'traceloop.span.kind': kind,
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.prompt_tokens': 120,
          'gen_ai.usage.completion_tokens': 30,
        },
        { name: `support.${kind}`, ...internal },
      );
    const rows = [openInference, openLlmetry('agent'), openLlmetry('workflow')].map((r) => normalizeSpan(r));
    expect(
      rows.map((r) => [r?.convention, r?.operation, r?.inputTokens, r?.outputTokens, r?.costUsd]),
    ).toEqual([
      ['openinference', 'invoke_agent', null, null, null],
      ['openllmetry', 'invoke_agent', null, null, null],
      ['openllmetry', 'invoke_workflow', null, null, null],
    ]);
    // OpenInference chains and OpenLLMetry tasks are no step at all: no row to count twice.
    expect(
      normalizeSpan(
        spanWith({ 'openinference.span.kind': 'CHAIN', 'llm.token_count.prompt': 120 }, internal),
      ),
    ).toBeNull();
    expect(normalizeSpan(openLlmetry('task'))).toBeNull();
  });

  it('keep the usage of a remote agent, whose model calls are not traced here', () => {
    expect(normalizeSpan(spanWith(agent, { name: 'invoke_agent assistant', kind: 'Client' }))).toMatchObject({
      operation: 'invoke_agent',
      inputTokens: 120,
      outputTokens: 30,
      costUsd: 0.0004,
    });
  });
});
