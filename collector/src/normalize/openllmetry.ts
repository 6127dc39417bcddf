/**
 * OpenLLMetry / Traceloop: flattened `gen_ai.prompt.{i}.*` and
 * `gen_ai.completion.{i}.*`, `llm.request.type`, `traceloop.span.kind`,
 * `traceloop.association.properties.*`, and vector-store spans whose results
 * arrive as `db.query.result` events.
 */
import type { AttributeValue, SpanRecord } from '../otlp/span-record.ts';
import { asNumber, asString, firstString, indexed, parseJson, stringMap, withPrefix } from './attributes.ts';
import type { Message, Operation, RetrievedDocument, ToolCall } from './llm-span.ts';
import {
  type ConventionMapping,
  documentFrom,
  type Extracted,
  type FieldTable,
  parseEmbedding,
  requestParamsFrom,
} from './mapping.ts';
import { parseInstructions, parseMessages } from './messages.ts';
import { genAiFields } from './otel-genai.ts';

const byRequestType: Record<string, Operation> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
  embeddings: 'embeddings',
  rerank: 'rerank',
};
const bySpanKind: Record<string, Operation> = {
  tool: 'execute_tool',
  agent: 'invoke_agent',
  workflow: 'invoke_workflow',
};

export function isVectorStoreSpan(span: SpanRecord): boolean {
  return span.events.some((e) => e.name === 'db.query.result' || e.name === 'db.query.embeddings');
}

function operation(span: SpanRecord): Operation | null {
  const a = span.attributes;
  if (firstString(a, ['oversight.operation.name']) === 'rerank') return 'rerank';
  const requestType = byRequestType[firstString(a, ['llm.request.type'])];
  if (requestType) return requestType;
  if (isVectorStoreSpan(span)) return 'retrieval';
  const kind = bySpanKind[firstString(a, ['traceloop.span.kind'])];
  if (kind) return kind;
  // Newer Traceloop instrumentations name the operation the OTel way.
  const genAi = firstString(a, ['gen_ai.operation.name']);
  if (genAi === 'chat' || genAi === 'text_completion' || genAi === 'embeddings') return genAi;
  return Object.keys(a).some((k) => k.startsWith('gen_ai.prompt.') || k.startsWith('gen_ai.completion.'))
    ? 'chat'
    : null;
}

const sessionKeys = ['session_id', 'sessionId', 'session.id', 'conversation_id'];
const userKeys = ['user_id', 'userId', 'user.id'];

const fields: Partial<FieldTable> = {
  ...genAiFields,
  provider: ['gen_ai.system', 'gen_ai.provider.name', 'db.system'],
  inputTokens: ['gen_ai.usage.prompt_tokens', 'gen_ai.usage.input_tokens'],
  outputTokens: ['gen_ai.usage.completion_tokens', 'gen_ai.usage.output_tokens'],
  sessionId: sessionKeys.map((k) => `traceloop.association.properties.${k}`),
  userId: userKeys.map((k) => `traceloop.association.properties.${k}`),
  dataSourceId: ['db.collection.name', 'db.vector.query.namespace', 'pinecone.query.namespace', 'db.system'],
};

function toolCalls(entry: Record<string, AttributeValue>): ToolCall[] {
  const calls = indexed(entry, 'tool_calls').map((c) => ({
    id: asString(c.id),
    name: asString(c.name),
    arguments: asString(c.arguments),
  }));
  // Older versions put a single legacy function call on the completion.
  const legacyName = asString(entry['function_call.name']);
  if (legacyName)
    calls.push({ id: '', name: legacyName, arguments: asString(entry['function_call.arguments']) });
  return calls;
}

function flattenedMessages(
  attrs: Record<string, AttributeValue>,
  prefix: string,
  defaultRole: string,
): Message[] {
  return indexed(attrs, prefix).map((entry) => {
    const message: Message = { role: asString(entry.role) || defaultRole, content: asString(entry.content) };
    const calls = toolCalls(entry);
    if (calls.length > 0) message.toolCalls = calls;
    const callId = asString(entry.tool_call_id);
    if (callId) message.toolCallId = callId;
    const finish = asString(entry.finish_reason);
    if (finish) message.finishReason = finish;
    return message;
  });
}

function documentsFromEvents(span: SpanRecord): RetrievedDocument[] {
  return span.events
    .filter((e) => e.name === 'db.query.result')
    .map((e, i) => {
      const r = e.attributes;
      const doc = documentFrom(
        {
          id: r['db.query.result.id'],
          score: r['db.query.result.score'],
          content: r['db.query.result.document'],
          metadata: r['db.query.result.metadata'],
        },
        i + 1,
      );
      // Distances are not scores (smaller is closer); keep them visible without pretending.
      const distance = asNumber(r['db.query.result.distance']);
      if (distance !== null) doc.metadata = { ...doc.metadata, distance };
      return doc;
    });
}

function extract(span: SpanRecord, op: Operation): Extracted {
  const a = span.attributes;
  const association = withPrefix(a, 'traceloop.association.properties');
  const inputMessages = flattenedMessages(a, 'gen_ai.prompt', 'user');
  const outputMessages = flattenedMessages(a, 'gen_ai.completion', 'assistant');
  const extracted: Extracted = {
    requestParams: requestParamsFrom(a, 'gen_ai.request'),
    inputMessages: inputMessages.length > 0 ? inputMessages : parseMessages(a['gen_ai.input.messages']),
    outputMessages:
      outputMessages.length > 0 ? outputMessages : parseMessages(a['gen_ai.output.messages'], 'assistant'),
    systemInstructions: parseInstructions(a['gen_ai.system_instructions']),
    metadata: stringMap({
      ...association,
      ...(a['traceloop.workflow.name'] !== undefined ? { workflow: a['traceloop.workflow.name'] } : {}),
      ...(a['traceloop.entity.name'] !== undefined ? { entity: a['traceloop.entity.name'] } : {}),
    }),
  };
  if (op === 'retrieval') {
    extracted.documents = documentsFromEvents(span);
    const vector = span.events.find((e) => e.name === 'db.query.embeddings')?.attributes[
      'db.query.embeddings.vector'
    ];
    extracted.queryEmbedding = parseEmbedding(vector);
    extracted.retrievalQuery = firstString(a, ['db.query.text', 'db.vector.query.text']);
  } else if (op === 'execute_tool') {
    extracted.toolName = firstString(a, ['gen_ai.tool.name', 'traceloop.entity.name']);
    extracted.toolArguments = unwrapEntity(a['traceloop.entity.input']);
    extracted.toolResult = unwrapEntity(a['traceloop.entity.output']);
  }
  return extracted;
}

/** Traceloop serialises entity I/O as `{"args": [...], "kwargs": {...}}` or `{"inputs": ...}`; keep it as JSON text. */
function unwrapEntity(value: AttributeValue | undefined): string {
  const parsed = parseJson(value);
  return typeof parsed === 'string' ? parsed : asString(parsed);
}

export const openLlmetry: ConventionMapping = { convention: 'openllmetry', operation, fields, extract };
