/**
 * The canonical LLM/RAG step every convention adapter produces. One shape for
 * OTel GenAI (old and new), OpenInference, OpenLLMetry and the Vercel AI SDK,
 * so enrichment, storage and dashboards never care who emitted the span.
 */

/** `gen_ai.operation.name` values, plus `rerank` which the conventions lack. */
export type Operation =
  | 'chat'
  | 'text_completion'
  | 'generate_content'
  | 'embeddings'
  | 'retrieval'
  | 'rerank'
  | 'execute_tool'
  | 'create_agent'
  | 'invoke_agent'
  | 'invoke_workflow'
  | 'apply_guardrail';

export type Convention = 'otel-genai' | 'otel-genai-legacy' | 'openinference' | 'openllmetry' | 'vercel-ai';

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text as the model produced it. */
  arguments: string;
}

export interface Message {
  role: string;
  /** Text parts joined with newlines; non-text parts are described, not dropped. */
  content: string;
  toolCalls?: ToolCall[];
  /** For a `tool` role message: the call it answers. */
  toolCallId?: string;
  finishReason?: string;
}

export interface RetrievedDocument {
  id: string;
  /** 1-based position in the result list. */
  rank: number;
  score: number | null;
  content: string;
  metadata?: Record<string, unknown>;
}

export interface LlmSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  convention: Convention;
  operation: Operation;
  name: string;
  serviceName: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** Provider as the OTel GenAI conventions spell it (`openai`, `azure.ai.openai`, …). */
  provider: string;
  requestModel: string;
  responseModel: string;
  responseId: string;
  /** temperature, max_tokens, top_p, … keyed by the `gen_ai.request.*` suffix. */
  requestParams: Record<string, number | string | boolean | string[]>;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadInputTokens: number | null;
  cacheCreationInputTokens: number | null;
  reasoningOutputTokens: number | null;
  /** USD, when the emitter reported it or the collector could price it. */
  costUsd: number | null;
  finishReasons: string[];
  /** Time to first token/chunk of a streamed response, milliseconds. */
  timeToFirstTokenMs: number | null;
  inputMessages: Message[];
  outputMessages: Message[];
  systemInstructions: string;
  toolCalls: ToolCall[];
  /** For execute_tool spans. */
  toolName: string;
  toolArguments: string;
  toolResult: string;
  retrievalQuery: string;
  documents: RetrievedDocument[];
  dataSourceId: string;
  /** `oversight.retrieval.query.embedding`, reused by the topic clusterer. */
  queryEmbedding: number[] | null;
  sessionId: string;
  userId: string;
  metadata: Record<string, string>;
  status: 'ok' | 'error' | 'unset';
  errorType: string;
  statusMessage: string;
}
