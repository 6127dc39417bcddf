/** Sample spans shaped as the decoder and the normalizers hand them over. */
import type { LlmSpan } from '../../src/normalize/llm-span.ts';
import type { SpanRecord } from '../../src/otlp/span-record.ts';

export const TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const START_NS = 1_700_000_000_123_456_789n;

export function sampleSpan(overrides: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: TRACE_ID,
    spanId: 'eee19b7ec3c1b174',
    parentSpanId: '',
    traceState: 'vendor=1',
    name: 'chat gpt-4o',
    kind: 'Client',
    startTimeUnixNano: START_NS,
    endTimeUnixNano: START_NS + 1_500_000_001n,
    serviceName: 'support-bot',
    resourceAttributes: { 'service.name': 'support-bot', 'host.cpus': 2 },
    scopeName: '@oversight/sdk',
    scopeVersion: '0.1.0',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.temperature': 0.7,
      'gen_ai.usage.input_tokens': 42,
      'gen_ai.request.stream': true,
      'gen_ai.request.stop_sequences': ['END', '<stop>'],
      'app.config': { b: 1, a: 'x&y' },
      'app.empty': null,
    },
    events: [
      {
        timeUnixNano: START_NS + 1_000n,
        name: 'gen_ai.evaluation.result',
        attributes: { 'gen_ai.evaluation.name': 'relevance', 'gen_ai.evaluation.score.value': 0.9 },
      },
    ],
    links: [
      { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceState: '', attributes: { why: 'retry' } },
    ],
    statusCode: 'Ok',
    statusMessage: '',
    ...overrides,
  };
}

export function sampleLlmSpan(overrides: Partial<LlmSpan> = {}): LlmSpan {
  return {
    traceId: TRACE_ID,
    spanId: 'eee19b7ec3c1b174',
    parentSpanId: '',
    convention: 'otel-genai',
    operation: 'chat',
    name: 'chat gpt-4o',
    serviceName: 'support-bot',
    startTimeUnixNano: START_NS,
    endTimeUnixNano: START_NS + 1_500_000_001n,
    provider: 'openai',
    requestModel: 'gpt-4o',
    responseModel: 'gpt-4o-2024-08-06',
    responseId: 'chatcmpl-1',
    requestParams: { temperature: 0.7, max_tokens: 256, stop_sequences: ['END'] },
    inputTokens: 42,
    outputTokens: 7,
    cacheReadInputTokens: 10,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    costUsd: 0.00125,
    finishReasons: ['stop'],
    timeToFirstTokenMs: 180.5,
    inputMessages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'How do I reset my password?' },
    ],
    outputMessages: [{ role: 'assistant', content: 'Open Settings, then Security.', finishReason: 'stop' }],
    systemInstructions: 'Be brief.',
    toolCalls: [],
    toolName: '',
    toolArguments: '',
    toolResult: '',
    retrievalQuery: '',
    documents: [],
    dataSourceId: '',
    queryEmbedding: null,
    sessionId: 'sess-1',
    userId: 'user-7',
    metadata: { tenant: 'acme' },
    status: 'ok',
    errorType: '',
    statusMessage: '',
    inputDocuments: [],
    workflowName: '',
    guardrail: null,
    ...overrides,
  };
}

export function sampleRetrievalSpan(): LlmSpan {
  return sampleLlmSpan({
    spanId: 'aaaabbbbccccdddd',
    operation: 'retrieval',
    name: 'retrieval kb',
    provider: '',
    requestModel: '',
    responseModel: '',
    inputTokens: null,
    outputTokens: null,
    cacheReadInputTokens: null,
    costUsd: null,
    finishReasons: [],
    timeToFirstTokenMs: null,
    inputMessages: [],
    outputMessages: [],
    retrievalQuery: 'reset password',
    dataSourceId: 'kb',
    queryEmbedding: [0.25, -0.5, 1],
    documents: [
      {
        id: 'doc-1',
        rank: 1,
        score: 0.83,
        content: 'To reset your password, open Settings.',
        metadata: { page: 3 },
      },
      { id: 'doc-2', rank: 2, score: null, content: 'Billing FAQ' },
    ],
  });
}
