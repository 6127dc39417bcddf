/**
 * The key property: one real LLM call, instrumented in turn by Traceloop,
 * Arize OpenInference and the AI SDK's own telemetry (both its `ai.*` and
 * its GenAI flavour), normalizes to the same canonical values.
 */
import { type MockLlm, startMockLlm } from '@oversight/mock-llm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeSpan } from '../../src/normalize/index.ts';
import type { LlmSpan } from '../../src/normalize/llm-span.ts';
import type { SpanRecord } from '../../src/otlp/span-record.ts';
import { captureArize, captureTraceloop, captureVercel, type PeerCall } from './peer-capture.ts';

let mock: MockLlm;
beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());

const system = 'You are terse.';
const user = 'What is the capital of France?';
const answer = 'This is a mock answer to: What is the capital of France?';

const captures: Record<string, (call: PeerCall) => Promise<SpanRecord[]>> = {
  traceloop: captureTraceloop,
  arize: captureArize,
  'vercel-ai': (call) => captureVercel(call, 'legacy'),
  'vercel-genai': (call) => captureVercel(call, 'genai'),
};
const expectedConvention: Record<string, string> = {
  traceloop: 'otel-genai',
  arize: 'openinference',
  'vercel-ai': 'vercel-ai',
  'vercel-genai': 'otel-genai',
};

function chatSpans(spans: SpanRecord[]): LlmSpan[] {
  return spans.map((s) => normalizeSpan(s)).filter((s): s is LlmSpan => s?.operation === 'chat');
}

function canonical(span: LlmSpan) {
  return {
    provider: span.provider,
    requestModel: span.requestModel,
    systemInstructions: span.systemInstructions,
    input: span.inputMessages.map((m) => ({ role: m.role, content: m.content })),
    output: span.outputMessages.map((m) => ({ role: m.role, content: m.content })),
  };
}

describe.each(Object.keys(captures))('%s', (peer) => {
  it('normalizes a plain chat call to the canonical values', async () => {
    const capture = captures[peer];
    if (!capture) throw new Error(`no capture for ${peer}`);
    const spans = await capture({
      baseURL: mock.url,
      model: 'gpt-4o-mini',
      system,
      user,
      stream: false,
    });
    const chats = chatSpans(spans);
    expect(chats).toHaveLength(1);
    const [span] = chats as [LlmSpan];
    expect(span.convention).toBe(expectedConvention[peer]);
    expect(canonical(span)).toEqual({
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      systemInstructions: system,
      input: [{ role: 'user', content: user }],
      output: [{ role: 'assistant', content: answer }],
    });
    expect(span.responseModel).toBe('gpt-4o-mini-2025-06-01');
    expect(span.inputTokens).toBe(9);
    expect(span.outputTokens).toBe(12);
    expect(span.finishReasons).toEqual(['stop']);
  });

  it('normalizes a streamed chat call to the same messages', async () => {
    const capture = captures[peer];
    if (!capture) throw new Error(`no capture for ${peer}`);
    const spans = await capture({
      baseURL: mock.url,
      model: 'gpt-4o-mini',
      system,
      user,
      stream: true,
    });
    const chats = chatSpans(spans);
    expect(chats).toHaveLength(1);
    const [span] = chats as [LlmSpan];
    expect(canonical(span)).toEqual({
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      systemInstructions: system,
      input: [{ role: 'user', content: user }],
      output: [{ role: 'assistant', content: answer }],
    });
    // Traceloop and Arize (as installed) record no usage on streams; the AI SDK does.
    if (peer.startsWith('vercel')) {
      expect(span.inputTokens).toBe(9);
      expect(span.outputTokens).toBe(12);
      expect(span.timeToFirstTokenMs).toBeGreaterThan(0);
    }
  });
});
