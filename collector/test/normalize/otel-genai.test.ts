import { describe, expect, it } from 'vitest';
import { normalizeSpan } from '../../src/normalize/index.ts';
import { event, spanWith } from './span-fixture.ts';

describe('OTel GenAI current conventions', () => {
  const chat = spanWith(
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'azure-openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 200,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.cache_creation.input_tokens': 5,
      'gen_ai.usage.reasoning.output_tokens': 12,
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.response.time_to_first_chunk': 0.25,
      'gen_ai.conversation.id': 'conv-9',
      'oversight.user.id': 'u-1',
      'oversight.usage.cost_usd': 0.0042,
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Be helpful.' }]),
      'gen_ai.input.messages': JSON.stringify([
        {
          role: 'user',
          parts: [
            { type: 'text', content: 'Weather in Paris?' },
            { type: 'uri', modality: 'image', mime_type: 'image/png', uri: 'x' },
          ],
        },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }],
          finish_reason: 'tool_calls',
        },
      ]),
    },
    { name: 'chat gpt-4o' },
  );

  it('maps a chat span with tool calls, usage, ttft and ids', () => {
    const s = normalizeSpan(chat);
    expect(s).toMatchObject({
      convention: 'otel-genai',
      operation: 'chat',
      provider: 'azure.ai.openai',
      requestModel: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      responseId: 'chatcmpl-1',
      requestParams: { temperature: 0.2, max_tokens: 200, stop_sequences: ['END'] },
      inputTokens: 120,
      outputTokens: 30,
      cacheReadInputTokens: 100,
      cacheCreationInputTokens: 5,
      reasoningOutputTokens: 12,
      costUsd: 0.0042,
      finishReasons: ['tool_calls'],
      timeToFirstTokenMs: 250,
      systemInstructions: 'Be helpful.',
      sessionId: 'conv-9',
      userId: 'u-1',
      status: 'unset',
    });
    expect(s?.inputMessages).toEqual([{ role: 'user', content: 'Weather in Paris?\n[uri image image/png]' }]);
    expect(s?.toolCalls).toEqual([{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    expect(s?.outputMessages[0]?.finishReason).toBe('tool_calls');
  });

  it('maps a retrieval span with documents and a query embedding in either encoding', () => {
    const embedding = [0.5, -0.25, 0.125];
    const base64 = Buffer.from(new Float32Array(embedding).buffer).toString('base64');
    for (const encoded of [JSON.stringify(embedding), embedding, base64]) {
      const s = normalizeSpan(
        spanWith({
          'gen_ai.operation.name': 'retrieval',
          'gen_ai.data_source.id': 'kb-docs',
          'gen_ai.retrieval.query.text': 'refund policy',
          'gen_ai.retrieval.documents': JSON.stringify([
            { id: 'd1', score: 0.9, content: 'Refunds within 30 days.' },
            { id: 'd2', score: 0.4 },
          ]),
          'oversight.retrieval.query.embedding': encoded,
          'oversight.session.id': 's-1',
        }),
      );
      expect(s).toMatchObject({
        operation: 'retrieval',
        dataSourceId: 'kb-docs',
        retrievalQuery: 'refund policy',
        sessionId: 's-1',
      });
      expect(s?.documents).toEqual([
        { id: 'd1', rank: 1, score: 0.9, content: 'Refunds within 30 days.' },
        { id: 'd2', rank: 2, score: 0.4, content: '' },
      ]);
      expect(s?.queryEmbedding).toEqual(embedding);
    }
  });

  it('maps execute_tool, apply_guardrail and oversight rerank spans', () => {
    const tool = normalizeSpan(
      spanWith({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'get_weather',
        'gen_ai.tool.call.id': 'call_1',
        'gen_ai.tool.call.arguments': '{"city":"Paris"}',
        'gen_ai.tool.call.result': '21C',
      }),
    );
    expect(tool).toMatchObject({
      operation: 'execute_tool',
      toolName: 'get_weather',
      toolArguments: '{"city":"Paris"}',
      toolResult: '21C',
      metadata: { 'gen_ai.tool.call.id': 'call_1' },
    });
    const guard = normalizeSpan(
      spanWith({
        'gen_ai.operation.name': 'apply_guardrail',
        'gen_ai.guardrail.policy.id': 'pii',
        'gen_ai.guardrail.result.type': 'block',
      }),
    );
    expect(guard).toMatchObject({
      operation: 'apply_guardrail',
      metadata: { 'gen_ai.guardrail.policy.id': 'pii', 'gen_ai.guardrail.result.type': 'block' },
    });
    // An emitter that puts the action in result.type still yields a decision.
    expect(guard?.guardrail).toEqual({
      decision: 'blocked',
      policyId: 'pii',
      policyVersion: '',
      component: '',
      source: '',
      reason: '',
      categories: [],
    });
    const rerank = normalizeSpan(
      spanWith({
        'oversight.operation.name': 'rerank',
        'gen_ai.retrieval.documents': JSON.stringify([{ id: 'a', score: 2 }]),
      }),
    );
    expect(rerank).toMatchObject({
      convention: 'otel-genai',
      operation: 'rerank',
      documents: [{ id: 'a', rank: 1, score: 2 }],
    });
  });

  it('keeps developer turns next to separately given instructions, each text once', () => {
    // OpenAI Responses API: `instructions` → gen_ai.system_instructions, developer turns stay in the history.
    const s = normalizeSpan(
      spanWith({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'You are a support bot.' }]),
        'gen_ai.input.messages': JSON.stringify([
          { role: 'system', parts: [{ type: 'text', content: 'You are a support bot.' }] },
          { role: 'developer', parts: [{ type: 'text', content: 'Answer in French.' }] },
          { role: 'user', parts: [{ type: 'text', content: 'Where is my order?' }] },
        ]),
      }),
    );
    expect(s?.systemInstructions).toBe('You are a support bot.\nAnswer in French.');
    expect(s?.inputMessages).toEqual([{ role: 'user', content: 'Where is my order?' }]);
  });

  it('reads system turns given both ways once, when the instructions hold several', () => {
    const s = normalizeSpan(
      spanWith({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.system_instructions': JSON.stringify([
          { type: 'text', content: 'You are a support bot.' },
          { type: 'text', content: 'Answer in French.' },
        ]),
        'gen_ai.input.messages': JSON.stringify([
          { role: 'system', parts: [{ type: 'text', content: 'You are a support bot.' }] },
          { role: 'system', parts: [{ type: 'text', content: 'Answer in French.' }] },
          { role: 'user', parts: [{ type: 'text', content: 'Where is my order?' }] },
        ]),
      }),
    );
    expect(s?.systemInstructions).toBe('You are a support bot.\nAnswer in French.');
  });

  it('reads a refusal part as what the model said', () => {
    const s = normalizeSpan(
      spanWith({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            finish_reason: 'stop',
            parts: [{ type: 'refusal', content: "I can't help with that." }],
          },
        ]),
      }),
    );
    expect(s?.outputMessages).toEqual([
      { role: 'assistant', content: "I can't help with that.", finishReason: 'stop' },
    ]);
    // The Responses API's own output item spells it `refusal`.
    const responses = normalizeSpan(
      spanWith({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.output.messages': JSON.stringify([
          { role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] },
        ]),
      }),
    );
    expect(responses?.outputMessages).toEqual([{ role: 'assistant', content: 'No.' }]);
  });

  it('carries error status and type', () => {
    const s = normalizeSpan(
      spanWith(
        { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'error.type': 'RateLimitError' },
        { statusCode: 'Error', statusMessage: '429 Rate limit' },
      ),
    );
    expect(s).toMatchObject({
      status: 'error',
      errorType: 'RateLimitError',
      statusMessage: '429 Rate limit',
    });
  });
});

describe('OTel GenAI ≤ 1.36 conventions', () => {
  it('reads gen_ai.system, prompt/completion token names and per-message events', () => {
    const s = normalizeSpan(
      spanWith(
        {
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.prompt_tokens': 11,
          'gen_ai.usage.completion_tokens': 7,
        },
        {
          events: [
            event('gen_ai.system.message', { content: 'Be brief.' }),
            event('gen_ai.user.message', { content: 'Hello' }),
            event('gen_ai.choice', {
              index: 0,
              finish_reason: 'stop',
              message: JSON.stringify({ role: 'assistant', content: 'Hi!' }),
            }),
          ],
        },
      ),
    );
    expect(s).toMatchObject({
      convention: 'otel-genai-legacy',
      operation: 'chat',
      provider: 'openai',
      inputTokens: 11,
      outputTokens: 7,
      systemInstructions: 'Be brief.',
      inputMessages: [{ role: 'user', content: 'Hello' }],
      outputMessages: [{ role: 'assistant', content: 'Hi!', finishReason: 'stop' }],
      finishReasons: ['stop'],
    });
  });

  it('reads the older gen_ai.content.prompt / completion events', () => {
    const s = normalizeSpan(
      spanWith(
        { 'gen_ai.system': 'anthropic', 'gen_ai.request.model': 'claude' },
        {
          events: [
            event('gen_ai.content.prompt', {
              'gen_ai.prompt': JSON.stringify([{ role: 'user', content: 'Q' }]),
            }),
            event('gen_ai.content.completion', {
              'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: 'A' }]),
            }),
          ],
        },
      ),
    );
    expect(s?.inputMessages).toEqual([{ role: 'user', content: 'Q' }]);
    expect(s?.outputMessages).toEqual([{ role: 'assistant', content: 'A' }]);
  });
});

describe('spans that are not LLM steps', () => {
  it('returns null for HTTP and DB spans and for unknown operations', () => {
    expect(normalizeSpan(spanWith({ 'http.request.method': 'POST', 'url.full': 'https://x' }))).toBeNull();
    expect(normalizeSpan(spanWith({ 'db.system': 'postgresql', 'db.query.text': 'select 1' }))).toBeNull();
    expect(normalizeSpan(spanWith({ 'gen_ai.operation.name': 'agent_step' }))).toBeNull();
  });
});

describe('size limits', () => {
  it('truncates text past maxTextChars with a visible marker, and handles megabytes', () => {
    const big = 'x'.repeat(5_000_000);
    const span = spanWith({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: big }] }]),
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'text', content: 'short' }] },
      ]),
    });
    const s = normalizeSpan(span);
    expect(s?.inputMessages[0]?.content).toBe(`${'x'.repeat(100_000)}…[truncated 4900000 chars]`);
    expect(s?.outputMessages[0]?.content).toBe('short');
    const small = normalizeSpan(span, { maxTextChars: 10 });
    expect(small?.inputMessages[0]?.content).toBe(`${'x'.repeat(10)}…[truncated 4999990 chars]`);
  });
});
