/** LlmSpan → one `llm_spans` row and its `retrieval_documents` rows. */
import { createHash } from 'node:crypto';
import { headOf } from '@oversight/scorers';
import type { LlmSpan } from '../../normalize/llm-span.ts';
import { answerText, latestUserText } from '../../normalize/text-views.ts';
import type { Row } from '../../store/store.ts';
import { durationNanos, toDateTime64 } from './time.ts';

/** Prompt and completion text kept for search and scoring; the full messages stay in the JSON columns. */
export const TEXT_CAP_CHARS = 32_768;
/** Retrieved document content kept per row; the hash covers the whole content. */
export const DOCUMENT_CONTENT_CAP_CHARS = 8_192;

export function capText(text: string, cap: number): string {
  return headOf(text, cap);
}

/** The question as plain text: the newest user turn, else the retrieval query. */
export function promptText(span: LlmSpan): string {
  return latestUserText(span) || span.retrievalQuery;
}

function paramString(value: number | string | boolean | string[]): string {
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

/** UInt64 column value: first 8 bytes of SHA-256, big-endian, as a decimal string. */
export function contentHash64(content: string): string {
  return createHash('sha256').update(content).digest().readBigUInt64BE(0).toString();
}

export interface LlmRowOptions {
  /** Topic cluster of the prompt, when already known; 0 means unassigned. */
  topicId?: bigint | number;
}

export function toLlmSpanRow(span: LlmSpan, projectId: string, options: LlmRowOptions = {}): Row {
  const requestParams: Record<string, string> = {};
  for (const [key, value] of Object.entries(span.requestParams)) requestParams[key] = paramString(value);
  return {
    project_id: projectId,
    timestamp: toDateTime64(span.startTimeUnixNano),
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    service_name: span.serviceName,
    convention: span.convention,
    operation: span.operation,
    name: span.name,
    provider: span.provider,
    request_model: span.requestModel,
    response_model: span.responseModel,
    response_id: span.responseId,
    request_params: requestParams,
    input_tokens: span.inputTokens,
    output_tokens: span.outputTokens,
    cache_read_input_tokens: span.cacheReadInputTokens,
    cache_creation_input_tokens: span.cacheCreationInputTokens,
    reasoning_output_tokens: span.reasoningOutputTokens,
    cost_usd: span.costUsd,
    finish_reasons: span.finishReasons,
    duration_ns: durationNanos(span.startTimeUnixNano, span.endTimeUnixNano).toString(),
    ttft_ms: span.timeToFirstTokenMs,
    status: span.status,
    error_type: span.errorType,
    status_message: span.statusMessage,
    session_id: span.sessionId,
    user_id: span.userId,
    metadata: span.metadata,
    input_messages: span.inputMessages.length > 0 ? JSON.stringify(span.inputMessages) : '',
    output_messages: span.outputMessages.length > 0 ? JSON.stringify(span.outputMessages) : '',
    prompt_text: capText(promptText(span), TEXT_CAP_CHARS),
    completion_text: capText(answerText(span), TEXT_CAP_CHARS),
    system_instructions: span.systemInstructions,
    tool_name: span.toolName,
    tool_arguments: span.toolArguments,
    tool_result: span.toolResult,
    tool_calls: span.toolCalls.length > 0 ? JSON.stringify(span.toolCalls) : '',
    retrieval_query: span.retrievalQuery,
    data_source_id: span.dataSourceId,
    document_count: span.documents.length,
    query_embedding: span.queryEmbedding ?? [],
    topic_id: String(options.topicId ?? 0),
  };
}

function metadataMap(metadata: Record<string, unknown> | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  if (!metadata) return map;
  for (const [key, value] of Object.entries(metadata)) {
    if (value === null || value === undefined) continue;
    map[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return map;
}

export function toRetrievalDocumentRows(span: LlmSpan, projectId: string): Row[] {
  const timestamp = toDateTime64(span.startTimeUnixNano);
  return span.documents.map((document) => ({
    project_id: projectId,
    timestamp,
    trace_id: span.traceId,
    span_id: span.spanId,
    data_source_id: span.dataSourceId,
    query: span.retrievalQuery,
    document_id: document.id,
    rank: document.rank,
    score: document.score,
    content: capText(document.content, DOCUMENT_CONTENT_CAP_CHARS),
    content_hash: contentHash64(document.content),
    metadata: metadataMap(document.metadata),
  }));
}
