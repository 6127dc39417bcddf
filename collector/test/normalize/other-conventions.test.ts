import { describe, expect, it } from 'vitest';
import { canonicalProvider, type LlmSpan, normalizeSpan } from '../../src/normalize/index.ts';
import { toLlmSpanRow, toRetrievalDocumentRows } from '../../src/pipeline/transform/llm-rows.ts';
import { event, spanWith } from './span-fixture.ts';

describe('OpenInference', () => {
  it('maps an LLM span with flattened messages, tool calls, token counts, cost, session and user', () => {
    const s = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'LLM',
        'llm.provider': 'mistralai',
        'llm.model_name': 'mistral-large-2411',
        'llm.invocation_parameters': JSON.stringify({
          model: 'mistral-large-latest',
          temperature: 0.1,
          max_completion_tokens: 50,
        }),
        'llm.input_messages.0.message.role': 'system',
        'llm.input_messages.0.message.content': 'Sys',
        'llm.input_messages.1.message.role': 'user',
        'llm.input_messages.1.message.contents.0.message_content.type': 'text',
        'llm.input_messages.1.message.contents.0.message_content.text': 'Weather?',
        'llm.input_messages.1.message.contents.1.message_content.type': 'image',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_9',
        'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'get_weather',
        'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"city":"Oslo"}',
        'llm.token_count.prompt': 40,
        'llm.token_count.completion': 8,
        'llm.token_count.prompt_details.cache_read': 32,
        'llm.token_count.completion_details.reasoning': 2,
        'llm.cost.total': 0.001,
        'session.id': 'sess-1',
        'user.id': 'user-1',
        metadata: JSON.stringify({ tenant: 'acme' }),
      }),
    );
    expect(s).toMatchObject({
      convention: 'openinference',
      operation: 'chat',
      provider: 'mistral_ai',
      requestModel: 'mistral-large-latest',
      responseModel: 'mistral-large-2411',
      requestParams: { temperature: 0.1, max_tokens: 50 },
      inputTokens: 40,
      outputTokens: 8,
      cacheReadInputTokens: 32,
      reasoningOutputTokens: 2,
      costUsd: 0.001,
      systemInstructions: 'Sys',
      inputMessages: [{ role: 'user', content: 'Weather?\n[image]' }],
      toolCalls: [{ id: 'call_9', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      sessionId: 'sess-1',
      userId: 'user-1',
      metadata: { tenant: 'acme' },
    });
  });

  it('maps retriever, reranker and tool spans, and skips chains', () => {
    const retriever = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'RETRIEVER',
        'input.value': 'how do refunds work',
        'retrieval.documents.0.document.id': 'a',
        'retrieval.documents.0.document.content': 'Refunds take 5 days.',
        'retrieval.documents.0.document.score': 0.8,
        'retrieval.documents.0.document.metadata': JSON.stringify({ source: 'faq.md' }),
        'retrieval.documents.1.document.id': 'b',
        'retrieval.documents.1.document.content': 'Shipping is free.',
      }),
    );
    expect(retriever).toMatchObject({
      operation: 'retrieval',
      retrievalQuery: 'how do refunds work',
      documents: [
        { id: 'a', rank: 1, score: 0.8, content: 'Refunds take 5 days.', metadata: { source: 'faq.md' } },
        { id: 'b', rank: 2, score: null, content: 'Shipping is free.' },
      ],
    });
    const reranker = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'RERANKER',
        'reranker.query': 'refunds',
        'reranker.model_name': 'rerank-v3',
        'reranker.output_documents.0.document.id': 'b',
        'reranker.output_documents.0.document.score': 0.99,
        'reranker.input_documents.0.document.id': 'a',
        'reranker.input_documents.1.document.id': 'b',
      }),
    );
    expect(reranker).toMatchObject({
      operation: 'rerank',
      retrievalQuery: 'refunds',
      requestModel: 'rerank-v3',
      documents: [{ id: 'b', score: 0.99 }],
      inputDocuments: [
        { id: 'a', rank: 1 },
        { id: 'b', rank: 2 },
      ],
    });
    const tool = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'TOOL',
        'tool.name': 'search',
        'input.value': '{"q":"x"}',
        'output.value': 'found',
      }),
    );
    expect(tool).toMatchObject({
      operation: 'execute_tool',
      toolName: 'search',
      toolArguments: '{"q":"x"}',
      toolResult: 'found',
    });
    expect(normalizeSpan(spanWith({ 'openinference.span.kind': 'CHAIN', 'input.value': 'x' }))).toBeNull();
  });
});

describe('OpenInference completions API and routed models', () => {
  it('reads llm.prompts / llm.choices of a completions call', () => {
    const s = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'LLM',
        'llm.provider': 'openai',
        'llm.system': 'openai',
        'llm.model_name': 'gpt-3.5-turbo-instruct',
        'llm.invocation_parameters': JSON.stringify({ model: 'gpt-3.5-turbo-instruct', max_tokens: 16 }),
        'llm.prompts.0.prompt.text': 'def fib(n):',
        'llm.choices.0.completion.text': '\n    return n if n < 2 else fib(n-1) + fib(n-2)',
        'input.value': JSON.stringify({ model: 'gpt-3.5-turbo-instruct', prompt: 'def fib(n):' }),
        'input.mime_type': 'application/json',
        'output.value': JSON.stringify({ id: 'cmpl-9', object: 'text_completion', choices: [{ index: 0 }] }),
        'output.mime_type': 'application/json',
        'llm.token_count.prompt': 4,
        'llm.token_count.completion': 16,
      }),
    );
    expect(s).toMatchObject({
      operation: 'text_completion',
      responseId: 'cmpl-9',
      inputMessages: [{ role: 'user', content: 'def fib(n):' }],
      outputMessages: [{ role: 'assistant', content: '\n    return n if n < 2 else fib(n-1) + fib(n-2)' }],
    });
    const row = toLlmSpanRow(s as LlmSpan, 'p');
    expect(row.prompt_text).toBe('def fib(n):');
    expect(row.completion_text).toBe('\n    return n if n < 2 else fib(n-1) + fib(n-2)');
    // Older instrumentations: llm.prompts as a plain list.
    const older = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'davinci-002',
        'llm.prompts': ['Say hi'],
      }),
    );
    expect(older).toMatchObject({
      operation: 'text_completion',
      inputMessages: [{ role: 'user', content: 'Say hi' }],
    });
  });

  it("takes the Anthropic instrumentation's tool_result user turn as the tool's answer", () => {
    // openinference-instrumentation-anthropic: a tool_result block becomes message.tool_call_id +
    // message.content on a message whose role stays 'user'.
    const s = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'LLM',
        'llm.provider': 'anthropic',
        'llm.system': 'anthropic',
        'llm.model_name': 'claude-sonnet-4-5',
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.content': 'Weather in Rome?',
        'llm.input_messages.1.message.role': 'assistant',
        'llm.input_messages.1.message.tool_calls.0.tool_call.id': 'toolu_1',
        'llm.input_messages.1.message.tool_calls.0.tool_call.function.name': 'get_weather',
        'llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments': '{"city": "Rome"}',
        'llm.input_messages.2.message.role': 'user',
        'llm.input_messages.2.message.tool_call_id': 'toolu_1',
        'llm.input_messages.2.message.content': '18C and sunny',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.content': 'It is 18C and sunny in Rome.',
        'llm.token_count.prompt': 420,
        'llm.token_count.completion': 12,
      }),
    );
    expect(s?.inputMessages[2]).toEqual({ role: 'tool', content: '18C and sunny', toolCallId: 'toolu_1' });
    expect(toLlmSpanRow(s as LlmSpan, 'p').prompt_text).toBe('Weather in Rome?');
    // The legacy completions call: llm.prompts is the JSON-encoded prompt.
    const legacy = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'claude-2.1',
        'llm.prompts': JSON.stringify('\n\nHuman: Say hi\n\nAssistant:'),
      }),
    );
    expect(legacy?.inputMessages).toEqual([{ role: 'user', content: '\n\nHuman: Say hi\n\nAssistant:' }]);
  });

  it('keeps the requested and the responding model apart when the provider rerouted', () => {
    const s = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'LLM',
        'llm.provider': 'anthropic',
        'llm.system': 'anthropic',
        'llm.model_name': 'claude-opus-4-8',
        'llm.request.model_name': 'claude-opus-5',
        'llm.response.model_name': 'claude-opus-4-8',
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.content': 'hi',
      }),
    );
    expect(s).toMatchObject({ requestModel: 'claude-opus-5', responseModel: 'claude-opus-4-8' });
  });
});

describe('OpenLLMetry / Traceloop', () => {
  it('maps flattened prompts and completions, usage and association properties', () => {
    const s = normalizeSpan(
      spanWith({
        'llm.request.type': 'chat',
        'gen_ai.system': 'Anthropic',
        'gen_ai.request.model': 'claude-3-5-sonnet',
        'gen_ai.response.model': 'claude-3-5-sonnet-20241022',
        'gen_ai.request.temperature': 0.7,
        'gen_ai.prompt.0.role': 'system',
        'gen_ai.prompt.0.content': 'You help.',
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': 'Weather in Rome?',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.finish_reason': 'tool_use',
        'gen_ai.completion.0.tool_calls.0.id': 'toolu_1',
        'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
        'gen_ai.completion.0.tool_calls.0.arguments': '{"city":"Rome"}',
        'gen_ai.usage.prompt_tokens': 25,
        'gen_ai.usage.completion_tokens': 9,
        'gen_ai.usage.cache_read_input_tokens': 20,
        'gen_ai.usage.cache_creation_input_tokens': 3,
        'llm.usage.total_tokens': 34,
        'traceloop.association.properties.session_id': 'chat-7',
        'traceloop.association.properties.user_id': 'alice',
        'traceloop.association.properties.plan': 'pro',
      }),
    );
    expect(s).toMatchObject({
      convention: 'openllmetry',
      operation: 'chat',
      provider: 'anthropic',
      requestModel: 'claude-3-5-sonnet',
      responseModel: 'claude-3-5-sonnet-20241022',
      requestParams: { temperature: 0.7 },
      inputTokens: 25,
      outputTokens: 9,
      cacheReadInputTokens: 20,
      cacheCreationInputTokens: 3,
      systemInstructions: 'You help.',
      inputMessages: [{ role: 'user', content: 'Weather in Rome?' }],
      toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Rome"}' }],
      finishReasons: ['tool_use'],
      sessionId: 'chat-7',
      userId: 'alice',
      metadata: { session_id: 'chat-7', user_id: 'alice', plan: 'pro' },
    });
  });

  it('reads the content blocks the instrumentations serialise as JSON text', () => {
    // @traceloop/instrumentation-anthropic: every non-string content is JSON.stringify(content),
    // and the response is always JSON.stringify(result.content).
    const anthropic = normalizeSpan(
      spanWith(
        {
          'gen_ai.system': 'Anthropic',
          'llm.request.type': 'chat',
          'gen_ai.request.model': 'claude-3-5-sonnet-latest',
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.0.content': 'Weather in Rome, and in Oslo?',
          'gen_ai.prompt.1.role': 'assistant',
          'gen_ai.prompt.1.content': JSON.stringify([
            { type: 'text', text: 'Checking Rome.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Rome' } },
          ]),
          'gen_ai.prompt.2.role': 'user',
          'gen_ai.prompt.2.content': JSON.stringify([
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' },
          ]),
          'gen_ai.completion.0.finish_reason': 'tool_use',
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.content': JSON.stringify([
            { type: 'text', text: 'Rome is 18C. Now Oslo.' },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Oslo' } },
          ]),
          'gen_ai.usage.prompt_tokens': 310,
          'gen_ai.usage.completion_tokens': 42,
        },
        { name: 'anthropic.chat' },
      ),
    );
    expect(anthropic?.inputMessages).toEqual([
      { role: 'user', content: 'Weather in Rome, and in Oslo?' },
      {
        role: 'assistant',
        content: 'Checking Rome.',
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Rome"}' }],
      },
      { role: 'tool', content: '18C', toolCallId: 'toolu_1' },
    ]);
    expect(anthropic?.outputMessages).toEqual([
      {
        role: 'assistant',
        content: 'Rome is 18C. Now Oslo.',
        toolCalls: [{ id: 'toolu_2', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
        finishReason: 'tool_use',
      },
    ]);
    expect(anthropic?.toolCalls).toEqual([
      { id: 'toolu_2', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    ]);
    const row = toLlmSpanRow(anthropic as LlmSpan, 'p');
    expect(row.prompt_text).toBe('Weather in Rome, and in Oslo?');
    expect(row.completion_text).toBe('Rome is 18C. Now Oslo.');

    // @traceloop/instrumentation-openai: multimodal user content, and a user who typed JSON.
    const openai = normalizeSpan(
      spanWith(
        {
          'gen_ai.system': 'OpenAI',
          'llm.request.type': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.0.content': '[1, 2, 3]',
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content': JSON.stringify([
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ]),
          'gen_ai.prompt.2.role': 'tool',
          'gen_ai.prompt.2.tool_call_id': 'call_1',
          'gen_ai.prompt.2.content': '[{"type":"order","id":7,"status":"shipped"}]',
          // A tool's JSON that only looks like blocks: a known type, fields of its own.
          'gen_ai.prompt.3.role': 'tool',
          'gen_ai.prompt.3.content': '[{"type":"document","title":"Refunds","body":"Refunds take 14 days."}]',
          'gen_ai.prompt.4.role': 'tool',
          'gen_ai.prompt.4.content': '[{"type":"text","value":"Order 7 shipped on May 2."}]',
          // OpenAI takes a tool message's content as text parts too.
          'gen_ai.prompt.5.role': 'tool',
          'gen_ai.prompt.5.content': '[{"type":"text","text":"Order 8 is on its way."}]',
          // An AI SDK 4 tool result, as the Traceloop SDK serialises it.
          'gen_ai.prompt.6.role': 'tool',
          'gen_ai.prompt.6.content': JSON.stringify([
            {
              type: 'tool-result',
              toolCallId: 'c2',
              toolName: 'weather',
              result: '18C',
              experimental_content: [{ type: 'text', text: '18C' }],
            },
          ]),
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.content': 'A cat.',
          'gen_ai.completion.0.finish_reason': 'stop',
        },
        { name: 'openai.chat' },
      ),
    );
    expect(openai?.inputMessages).toEqual([
      { role: 'user', content: '[1, 2, 3]' },
      { role: 'user', content: 'What is in this image?\n[image_url]' },
      // A tool's own JSON is its result, not content blocks.
      { role: 'tool', content: '[{"type":"order","id":7,"status":"shipped"}]', toolCallId: 'call_1' },
      { role: 'tool', content: '[{"type":"document","title":"Refunds","body":"Refunds take 14 days."}]' },
      { role: 'tool', content: '[{"type":"text","value":"Order 7 shipped on May 2."}]' },
      { role: 'tool', content: 'Order 8 is on its way.' },
      { role: 'tool', content: '18C', toolCallId: 'c2' },
    ]);
    expect(openai?.outputMessages).toEqual([{ role: 'assistant', content: 'A cat.', finishReason: 'stop' }]);
  });

  it('reads the association properties the Traceloop SDK puts on spans of the OTel names', () => {
    // @traceloop/instrumentation-openai on the GenAI 1.40 names: no llm.request.type, so the span is
    // read as OTel GenAI; the SDK's span processor still adds traceloop.association.properties.*.
    const s = normalizeSpan(
      spanWith(
        {
          'gen_ai.provider.name': 'openai',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: 'Hi' }] },
          ]),
          'gen_ai.usage.input_tokens': 8,
          'gen_ai.usage.output_tokens': 2,
          'traceloop.workflow.name': 'support',
          'traceloop.association.properties.session_id': 'sess-42',
          'traceloop.association.properties.user_id': 'u-7',
          'traceloop.association.properties.customer_id': 'acme',
        },
        { name: 'chat gpt-4o' },
      ),
    );
    expect(s).toMatchObject({
      convention: 'otel-genai',
      sessionId: 'sess-42',
      userId: 'u-7',
      metadata: { session_id: 'sess-42', user_id: 'u-7', customer_id: 'acme' },
    });
  });

  it('maps vector-store spans with db.query.result events to retrieval', () => {
    const s = normalizeSpan(
      spanWith(
        { 'db.system': 'pinecone', 'db.vector.query.top_k': 2 },
        {
          name: 'pinecone.query',
          events: [
            event('db.query.embeddings', { 'db.query.embeddings.vector': JSON.stringify([0.1, 0.2]) }),
            event('db.query.result', {
              'db.query.result.id': 'v1',
              'db.query.result.score': 0.93,
              'db.query.result.document': 'Doc one',
            }),
            event('db.query.result', { 'db.query.result.id': 'v2', 'db.query.result.distance': 0.4 }),
          ],
        },
      ),
    );
    expect(s).toMatchObject({
      convention: 'openllmetry',
      operation: 'retrieval',
      provider: 'pinecone',
      dataSourceId: 'pinecone',
    });
    expect(s?.documents).toEqual([
      { id: 'v1', rank: 1, score: 0.93, content: 'Doc one' },
      { id: 'v2', rank: 2, score: null, content: '', metadata: { distance: 0.4 } },
    ]);
    expect(s?.queryEmbedding).toEqual([0.1, 0.2]);
  });

  it('maps tool spans and ignores plain tasks', () => {
    const tool = normalizeSpan(
      spanWith({
        'traceloop.span.kind': 'tool',
        'traceloop.entity.name': 'lookup_order',
        'traceloop.entity.input': JSON.stringify({ args: [], kwargs: { id: 7 } }),
        'traceloop.entity.output': '"shipped"',
      }),
    );
    expect(tool).toMatchObject({
      operation: 'execute_tool',
      toolName: 'lookup_order',
      toolArguments: '{"args":[],"kwargs":{"id":7}}',
      toolResult: 'shipped',
    });
    expect(
      normalizeSpan(spanWith({ 'traceloop.span.kind': 'task', 'traceloop.entity.name': 'prep' })),
    ).toBeNull();
  });
});

describe('Vercel AI SDK', () => {
  it('maps a v4 doGenerate span with tool calls, settings and telemetry metadata', () => {
    const s = normalizeSpan(
      spanWith(
        {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.model.provider': 'google.vertex_ai',
          'ai.model.id': 'gemini-2.0-flash',
          'ai.settings.temperature': 0.3,
          'ai.settings.maxTokens': 100,
          'ai.settings.maxRetries': 2,
          'ai.prompt.messages': JSON.stringify([
            { role: 'system', content: 'Sys' },
            { role: 'user', content: [{ type: 'text', text: 'Weather in Lima?' }] },
            {
              role: 'assistant',
              content: [
                { type: 'tool-call', toolCallId: 'c0', toolName: 'get_weather', args: { city: 'Lima' } },
              ],
            },
            {
              role: 'tool',
              content: [{ type: 'tool-result', toolCallId: 'c0', toolName: 'get_weather', result: '18C' }],
            },
          ]),
          'ai.response.text': '',
          'ai.response.toolCalls': JSON.stringify([
            { toolCallType: 'function', toolCallId: 'c1', toolName: 'get_time', args: '{"city":"Lima"}' },
          ]),
          'ai.response.finishReason': 'tool-calls',
          'ai.usage.promptTokens': 50,
          'ai.usage.completionTokens': 10,
          'ai.telemetry.functionId': 'weather-bot',
          'ai.telemetry.metadata.sessionId': 'sess-v',
          'ai.telemetry.metadata.userId': 'user-v',
          'gen_ai.system': 'google.vertex_ai',
        },
        { name: 'ai.generateText.doGenerate' },
      ),
    );
    expect(s).toMatchObject({
      convention: 'vercel-ai',
      operation: 'chat',
      provider: 'gcp.vertex_ai',
      requestModel: 'gemini-2.0-flash',
      requestParams: { temperature: 0.3, max_tokens: 100 },
      inputTokens: 50,
      outputTokens: 10,
      finishReasons: ['tool_calls'],
      systemInstructions: 'Sys',
      sessionId: 'sess-v',
      userId: 'user-v',
      metadata: { sessionId: 'sess-v', userId: 'user-v', functionId: 'weather-bot' },
      toolCalls: [{ id: 'c1', name: 'get_time', arguments: '{"city":"Lima"}' }],
    });
    expect(s?.inputMessages).toEqual([
      { role: 'user', content: 'Weather in Lima?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'c0', name: 'get_weather', arguments: '{"city":"Lima"}' }],
      },
      { role: 'tool', content: '18C', toolCallId: 'c0' },
    ]);
  });

  it('maps tool-call, embedding and outer spans, and stream time to first chunk', () => {
    const tool = normalizeSpan(
      spanWith(
        {
          'ai.operationId': 'ai.toolCall',
          'ai.toolCall.name': 'get_weather',
          'ai.toolCall.id': 'c1',
          'ai.toolCall.args': '{}',
          'ai.toolCall.result': '"sunny"',
        },
        { name: 'ai.toolCall' },
      ),
    );
    expect(tool).toMatchObject({
      operation: 'execute_tool',
      toolName: 'get_weather',
      toolArguments: '{}',
      toolResult: '"sunny"',
    });
    const embed = normalizeSpan(
      spanWith(
        {
          'ai.operationId': 'ai.embedMany.doEmbed',
          'ai.model.provider': 'openai.embedding',
          'ai.model.id': 'text-embedding-3-small',
          'ai.values': ['a b', 'c'],
          'ai.usage.tokens': 3,
        },
        { name: 'ai.embedMany.doEmbed' },
      ),
    );
    expect(embed).toMatchObject({
      operation: 'embeddings',
      provider: 'openai',
      inputTokens: 3,
      inputMessages: [{ content: 'a b' }, { content: 'c' }],
    });
    const stream = normalizeSpan(
      spanWith(
        {
          'ai.operationId': 'ai.streamText.doStream',
          'ai.model.provider': 'xai.chat',
          'ai.model.id': 'grok-3',
          'ai.usage.inputTokens': 5,
          'ai.usage.outputTokens': 6,
        },
        { events: [event('ai.stream.firstChunk', { 'ai.response.msToFirstChunk': 42.5 })] },
      ),
    );
    expect(stream).toMatchObject({
      operation: 'chat',
      provider: 'x_ai',
      timeToFirstTokenMs: 42.5,
      inputTokens: 5,
      outputTokens: 6,
    });
    const outer = normalizeSpan(
      spanWith({
        'ai.operationId': 'ai.streamText',
        'ai.model.id': 'grok-3',
        'ai.prompt': JSON.stringify({ system: 'S', prompt: 'Hi' }),
      }),
    );
    expect(outer).toMatchObject({
      operation: 'invoke_agent',
      systemInstructions: 'S',
      inputMessages: [{ role: 'user', content: 'Hi' }],
    });
  });
});

describe('Vercel AI SDK spans rewritten by the Traceloop SDK', () => {
  // @traceloop/node-server-sdk rewrites spans of the `ai` tracer on export
  // (ai-sdk-transformations.ts): it deletes ai.prompt.messages, ai.response.*,
  // ai.usage.promptTokens, ai.model.*, ai.telemetry.metadata.* and ai.toolCall.*,
  // writes gen_ai.* / traceloop.* in their place, and keeps ai.operationId.
  it('reads the messages, usage, session and user from where the rewrite put them', () => {
    const s = normalizeSpan(
      spanWith(
        {
          'operation.name': 'ai.generateText.doGenerate weather-bot',
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.telemetry.functionId': 'weather-bot',
          'ai.settings.maxRetries': 2,
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.system': 'OpenAI',
          'gen_ai.provider.name': 'openai',
          'gen_ai.prompt.0.role': 'system',
          'gen_ai.prompt.0.content': 'You are a weather bot.',
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content': 'Weather in Lima?',
          'gen_ai.input.messages': JSON.stringify([
            { role: 'system', parts: [{ type: 'text', content: 'You are a weather bot.' }] },
            { role: 'user', parts: [{ type: 'text', content: 'Weather in Lima?' }] },
          ]),
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
          'gen_ai.completion.0.tool_calls.0.arguments': '{"city":"Lima"}',
          'gen_ai.output.messages': JSON.stringify([
            {
              role: 'assistant',
              parts: [
                { type: 'tool_call', tool_call: { name: 'get_weather', arguments: '{"city":"Lima"}' } },
              ],
            },
          ]),
          'gen_ai.usage.input_tokens': 50,
          'gen_ai.usage.output_tokens': 10,
          'gen_ai.usage.cache_read_input_tokens': 32,
          'llm.usage.total_tokens': 60,
          'gen_ai.response.finish_reasons': ['tool-calls'],
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.response.id': 'chatcmpl-1',
          'gen_ai.conversation.id': 'sess-v',
          'traceloop.association.properties.sessionId': 'sess-v',
          'traceloop.association.properties.userId': 'user-v',
        },
        { name: 'text.generate', scopeName: 'ai' },
      ),
    );
    expect(s).toMatchObject({
      convention: 'vercel-ai',
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini-2024-07-18',
      inputTokens: 50,
      outputTokens: 10,
      cacheReadInputTokens: 32,
      finishReasons: ['tool_calls'],
      systemInstructions: 'You are a weather bot.',
      inputMessages: [{ role: 'user', content: 'Weather in Lima?' }],
      toolCalls: [{ id: '', name: 'get_weather', arguments: '{"city":"Lima"}' }],
      sessionId: 'sess-v',
      userId: 'user-v',
      metadata: { sessionId: 'sess-v', userId: 'user-v', functionId: 'weather-bot' },
    });
    expect(toLlmSpanRow(s as LlmSpan, 'p').prompt_text).toBe('Weather in Lima?');

    const answer = normalizeSpan(
      spanWith(
        {
          'ai.operationId': 'ai.generateText.doGenerate',
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'OpenAI',
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.0.content': 'Weather in Lima?',
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.content': 'It is 18C in Lima.',
        },
        { name: 'text.generate', scopeName: 'ai' },
      ),
    );
    expect(toLlmSpanRow(answer as LlmSpan, 'p').completion_text).toBe('It is 18C in Lima.');
  });

  it('reads a rewritten tool call', () => {
    const tool = normalizeSpan(
      spanWith(
        {
          'operation.name': 'ai.toolCall',
          'ai.operationId': 'ai.toolCall',
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'get_weather',
          'gen_ai.tool.call.id': 'c1',
          'gen_ai.tool.call.arguments': '{"city":"Lima"}',
          'gen_ai.tool.call.result': '"18C"',
          'traceloop.entity.input': '{"city":"Lima"}',
          'traceloop.entity.output': '"18C"',
          'traceloop.span.kind': 'tool',
          'traceloop.entity.name': 'get_weather',
        },
        { name: 'get_weather.tool', scopeName: 'ai' },
      ),
    );
    expect(tool).toMatchObject({
      convention: 'vercel-ai',
      operation: 'execute_tool',
      toolName: 'get_weather',
      toolArguments: '{"city":"Lima"}',
      toolResult: '"18C"',
    });
  });
});

describe('Vercel AI SDK system prompts', () => {
  it('reads a system given as system messages (AI SDK 6, e.g. for Anthropic cache control)', () => {
    const s = normalizeSpan(
      spanWith(
        {
          'ai.operationId': 'ai.generateText',
          'ai.model.provider': 'anthropic.messages',
          'ai.model.id': 'claude-sonnet-4-5',
          'ai.prompt': JSON.stringify({
            system: [
              {
                role: 'system',
                content: 'You are terse.',
                providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } },
              },
              { role: 'system', content: 'Answer in French.' },
            ],
            messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
          }),
        },
        { name: 'ai.generateText' },
      ),
    );
    expect(s?.systemInstructions).toBe('You are terse.\nAnswer in French.');
    expect(s?.inputMessages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  it('keeps a system string as written, JSON text included', () => {
    const system = '{"persona":"support agent","rules":["no refunds over 500 euros"]}';
    const s = normalizeSpan(
      spanWith(
        {
          'ai.operationId': 'ai.generateText',
          'ai.model.provider': 'openai.chat',
          'ai.model.id': 'gpt-4o',
          'ai.prompt': JSON.stringify({ system, prompt: 'Can I get a refund?' }),
        },
        { name: 'ai.generateText' },
      ),
    );
    expect(s?.systemInstructions).toBe(system);
  });
});

describe('Vercel AI SDK list attributes', () => {
  // The SDK writes `ai.values` / `ai.documents` / `ai.ranking` as items.map((v) => JSON.stringify(v)).
  it('reads embedded texts without the quotes JSON.stringify put around them', () => {
    const inner = normalizeSpan(
      spanWith(
        {
          'ai.operationId': 'ai.embedMany.doEmbed',
          'ai.model.provider': 'openai.embedding',
          'ai.model.id': 'text-embedding-3-small',
          'ai.values': ['"sunny day at the beach"', '"say \\"cheese\\""'],
          'ai.usage.tokens': 12,
        },
        { name: 'ai.embedMany.doEmbed' },
      ),
    );
    expect(inner?.inputMessages).toEqual([
      { role: 'user', content: 'sunny day at the beach' },
      { role: 'user', content: 'say "cheese"' },
    ]);
    const outer = normalizeSpan(
      spanWith(
        {
          'ai.operationId': 'ai.embed',
          'ai.model.provider': 'openai.embedding',
          'ai.model.id': 'text-embedding-3-small',
          'ai.value': JSON.stringify('"quoted" on purpose'),
        },
        { name: 'ai.embed' },
      ),
    );
    expect(outer).toMatchObject({ operation: 'invoke_workflow' });
    expect(outer?.inputMessages).toEqual([{ role: 'user', content: '"quoted" on purpose' }]);
  });

  it('maps rerank: the model call with its ranked documents, the outer call as a workflow', () => {
    const documents = ['Refunds take 5 days.', 'Shipping is free.', 'Returns need a receipt.'];
    const common = {
      'ai.model.provider': 'cohere.reranking',
      'ai.model.id': 'rerank-v3.5',
      'ai.documents': documents.map((d) => JSON.stringify(d)),
    };
    const outer = normalizeSpan(
      spanWith({ ...common, 'ai.operationId': 'ai.rerank' }, { name: 'ai.rerank' }),
    );
    expect(outer).toMatchObject({ operation: 'invoke_workflow', documents: [] });
    const inner = normalizeSpan(
      spanWith(
        {
          ...common,
          'ai.operationId': 'ai.rerank.doRerank',
          'ai.ranking.type': 'text',
          'ai.ranking': [
            JSON.stringify({ index: 2, relevanceScore: 0.91 }),
            JSON.stringify({ index: 0, relevanceScore: 0.35 }),
          ],
        },
        { name: 'ai.rerank.doRerank' },
      ),
    );
    expect(inner).toMatchObject({ operation: 'rerank', provider: 'cohere', requestModel: 'rerank-v3.5' });
    expect(inner?.documents).toEqual([
      { id: '', rank: 1, score: 0.91, content: 'Returns need a receipt.' },
      { id: '', rank: 2, score: 0.35, content: 'Refunds take 5 days.' },
    ]);
    expect(inner?.inputDocuments.map((d) => [d.rank, d.content])).toEqual([
      [1, 'Refunds take 5 days.'],
      [2, 'Shipping is free.'],
      [3, 'Returns need a receipt.'],
    ]);
    const rows = toRetrievalDocumentRows(inner as LlmSpan, 'p');
    expect(rows.map((r) => [r.rank, r.score, r.content])).toEqual([
      [1, 0.91, 'Returns need a receipt.'],
      [2, 0.35, 'Refunds take 5 days.'],
    ]);
    // Object documents keep their own id.
    const objects = normalizeSpan(
      spanWith(
        {
          ...common,
          'ai.operationId': 'ai.rerank.doRerank',
          'ai.documents': [JSON.stringify({ id: 'kb-7', text: 'Refunds take 5 days.' })],
          'ai.ranking': [JSON.stringify({ index: 0, relevanceScore: 0.8 })],
        },
        { name: 'ai.rerank.doRerank' },
      ),
    );
    expect(objects?.documents).toEqual([
      { id: 'kb-7', rank: 1, score: 0.8, content: 'Refunds take 5 days.' },
    ]);
    const fields = normalizeSpan(
      spanWith(
        {
          ...common,
          'ai.operationId': 'ai.rerank.doRerank',
          'ai.documents': [JSON.stringify({ from: 'pay', subject: 'Invoice 12' })],
          'ai.ranking': [JSON.stringify({ index: 0, relevanceScore: 0.7 })],
        },
        { name: 'ai.rerank.doRerank' },
      ),
    );
    expect(fields?.documents[0]?.content).toBe('{"from":"pay","subject":"Invoice 12"}');
  });
});

describe('role names', () => {
  it("reads Gemini's model, LangChain's human / ai and Cohere's upper-case roles as the conventions' roles", () => {
    const gemini = normalizeSpan(
      spanWith({
        'llm.request.type': 'chat',
        'gen_ai.system': 'Gemini',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Capital of France?',
        'gen_ai.prompt.1.role': 'model',
        'gen_ai.prompt.1.content': 'Paris.',
        'gen_ai.prompt.2.role': 'user',
        'gen_ai.prompt.2.content': 'And of Italy?',
        'gen_ai.completion.0.role': 'model',
        'gen_ai.completion.0.content': 'Rome.',
      }),
    );
    expect(gemini?.inputMessages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(gemini?.outputMessages).toEqual([{ role: 'assistant', content: 'Rome.' }]);
    const cohere = normalizeSpan(
      spanWith({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'cohere',
        'gen_ai.input.messages': JSON.stringify([
          { role: 'SYSTEM', content: 'Be brief.' },
          { role: 'USER', content: 'Hi' },
          { role: 'CHATBOT', content: 'Hello!' },
          { role: 'human', content: 'Bye' },
        ]),
      }),
    );
    expect(cohere?.systemInstructions).toBe('Be brief.');
    expect(cohere?.inputMessages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(toLlmSpanRow(cohere as LlmSpan, 'p').prompt_text).toBe('Bye');
    // OpenAI's legacy function calling: the function's result is a tool turn, not the user's.
    const legacy = normalizeSpan(
      spanWith({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.input.messages': JSON.stringify([
          { role: 'user', content: 'Weather in Lima?' },
          { role: 'assistant', content: '', function_call: { name: 'weather', arguments: '{}' } },
          { role: 'function', name: 'weather', content: '18C' },
        ]),
      }),
    );
    expect(legacy?.inputMessages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('takes an OpenInference output message without a role as the answer', () => {
    const s = normalizeSpan(
      spanWith({
        'openinference.span.kind': 'LLM',
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.content': 'Hi',
        'llm.output_messages.0.message.content': 'Hello!',
      }),
    );
    expect(s?.outputMessages).toEqual([{ role: 'assistant', content: 'Hello!' }]);
  });
});

describe('provider names', () => {
  it.each([
    ['openai.chat', 'openai'],
    ['openai.responses', 'openai'],
    ['azure.openai', 'azure.ai.openai'],
    ['azure-openai.chat', 'azure.ai.openai'],
    ['azure', 'azure.ai.openai'],
    ['Azure OpenAI', 'azure.ai.openai'],
    ['google.vertex_ai', 'gcp.vertex_ai'],
    ['vertex', 'gcp.vertex_ai'],
    ['google.generative-ai', 'gcp.gemini'],
    ['gemini', 'gcp.gemini'],
    ['mistral.chat', 'mistral_ai'],
    ['MistralAI', 'mistral_ai'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['bedrock', 'aws.bedrock'],
    ['xai', 'x_ai'],
    ['anthropic.messages', 'anthropic'],
    ['groq.chat', 'groq'],
    ['some-new-vendor', 'some-new-vendor'],
  ])('%s → %s', (raw, expected) => {
    expect(canonicalProvider(raw)).toBe(expected);
  });
});
