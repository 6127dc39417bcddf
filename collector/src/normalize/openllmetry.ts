/**
 * OpenLLMetry / Traceloop: flattened `gen_ai.prompt.{i}.*` and
 * `gen_ai.completion.{i}.*`, `llm.request.type`, `traceloop.span.kind`,
 * `traceloop.association.properties.*`, and vector-store spans whose results
 * arrive as `db.query.result` events.
 */

import * as C from '@oversight/conventions';
import type { AttributeValue, SpanRecord } from '../otlp/span-record.ts';
import {
  asNumber,
  asString,
  firstString,
  indexed,
  isRecord,
  parseJson,
  stringMap,
  withPrefix,
} from './attributes.ts';
import type { Message, Operation, RetrievedDocument, ToolCall } from './llm-span.ts';
import {
  associationKeys,
  type ConventionMapping,
  documentFrom,
  type Extracted,
  type FieldTable,
  parseEmbedding,
  requestParamsFrom,
  SESSION_KEY_NAMES,
  TRACELOOP_ASSOCIATION_PREFIX,
  USER_KEY_NAMES,
} from './mapping.ts';
import { parseInstructions, parseMessages, toMessages } from './messages.ts';
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
  if (firstString(a, [C.ATTR_OVERSIGHT_OPERATION_NAME]) === 'rerank') return 'rerank';
  const requestType = byRequestType[firstString(a, ['llm.request.type'])];
  if (requestType) return requestType;
  if (isVectorStoreSpan(span)) return 'retrieval';
  const kind = bySpanKind[firstString(a, ['traceloop.span.kind'])];
  if (kind) return kind;
  // Newer Traceloop instrumentations name the operation the OTel way.
  const genAi = firstString(a, [C.ATTR_GEN_AI_OPERATION_NAME]);
  if (genAi === 'chat' || genAi === 'text_completion' || genAi === 'embeddings') return genAi;
  return Object.keys(a).some(
    (k) => k.startsWith(`${C.ATTR_GEN_AI_PROMPT}.`) || k.startsWith(`${C.ATTR_GEN_AI_COMPLETION}.`),
  )
    ? 'chat'
    : null;
}

const fields: Partial<FieldTable> = {
  ...genAiFields,
  provider: [C.ATTR_GEN_AI_SYSTEM, C.ATTR_GEN_AI_PROVIDER_NAME, 'db.system'],
  inputTokens: [C.ATTR_GEN_AI_USAGE_PROMPT_TOKENS, C.ATTR_GEN_AI_USAGE_INPUT_TOKENS],
  outputTokens: [C.ATTR_GEN_AI_USAGE_COMPLETION_TOKENS, C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS],
  sessionId: associationKeys(SESSION_KEY_NAMES),
  userId: associationKeys(USER_KEY_NAMES),
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

/**
 * Content-block types of the APIs OpenLLMetry instruments (OpenAI, Anthropic,
 * the AI SDK, OTel parts), each with the fields it carries besides `type`.
 */
const PART_FIELDS: Record<string, readonly string[]> = {
  text: ['text', 'content'],
  input_text: ['text'],
  output_text: ['text'],
  refusal: ['refusal', 'content'],
  image: ['source', 'image', 'url', 'mediaType', 'mimeType', 'mime_type', 'detail'],
  image_url: ['image_url', 'detail'],
  input_image: ['image_url', 'file_id', 'detail'],
  input_audio: ['input_audio'],
  input_file: ['file_id', 'file_data', 'file_url', 'filename'],
  audio: ['audio', 'data', 'format', 'mediaType', 'mimeType'],
  file: ['file', 'data', 'file_id', 'filename', 'mediaType', 'mimeType', 'modality', 'mime_type'],
  document: ['source', 'title', 'context'],
  thinking: ['thinking', 'signature', 'text'],
  redacted_thinking: ['data'],
  reasoning: ['text', 'content', 'summary', 'encrypted_content', 'signature'],
  tool_use: ['name', 'input', 'caller'],
  server_tool_use: ['name', 'input'],
  tool_result: ['tool_use_id', 'content', 'is_error'],
  'tool-call': ['toolCallId', 'toolName', 'args', 'input', 'providerExecuted'],
  'tool-result': ['toolCallId', 'toolName', 'result', 'output', 'isError', 'content', 'experimental_content'],
  tool_call: ['name', 'arguments', 'tool_call'],
  tool_call_response: ['response', 'result'],
  blob: ['modality', 'mime_type', 'content'],
  uri: ['modality', 'mime_type', 'uri'],
};
/** Fields any block may carry. */
const ANY_PART_FIELDS = new Set([
  'type',
  'id',
  'cache_control',
  'citations',
  'annotations',
  'logprobs',
  'providerOptions',
  'providerMetadata',
  'experimental_providerMetadata',
]);
const TEXT_PARTS = new Set(['text', 'input_text', 'output_text', 'refusal']);

/**
 * A block of a known type with only the fields that type carries, its words
 * in a string: a tool's JSON of the same look (`{"type":"document","body":…}`,
 * `{"type":"text","value":…}`) would lose its data as a block.
 */
function isContentBlock(part: unknown): boolean {
  if (!isRecord(part)) return false;
  const type = asString(part.type);
  const fields = Object.hasOwn(PART_FIELDS, type) ? PART_FIELDS[type] : undefined;
  if (!fields) return false;
  if (!Object.keys(part).every((k) => ANY_PART_FIELDS.has(k) || fields.includes(k))) return false;
  return !TEXT_PARTS.has(type) || fields.some((k) => typeof part[k] === 'string');
}

/**
 * A `content` the instrumentation serialised from a list of content blocks:
 * OpenLLMetry writes `JSON.stringify(message.content)` for every non-string
 * content (OpenAI multimodal parts; every Anthropic response, `tool_use` and
 * `tool_result` blocks included). Only a list of known blocks counts: JSON a
 * user typed or a tool returned (`[{"type":"order",…}]`) stays text.
 */
function contentParts(value: AttributeValue | undefined): unknown[] | null {
  const parsed = parseJson(value);
  if (!Array.isArray(parsed) || parsed.length === 0) return null;
  return parsed.every(isContentBlock) ? parsed : null;
}

export function flattenedMessages(
  attrs: Record<string, AttributeValue>,
  prefix: string,
  defaultRole: string,
): Message[] {
  return indexed(attrs, prefix).flatMap((entry) => {
    const role = asString(entry.role) || defaultRole;
    const parts = contentParts(entry.content);
    const messages = parts
      ? toMessages({ role, content: parts }, role)
      : [{ role, content: asString(entry.content) }];
    const calls = toolCalls(entry);
    const callId = asString(entry.tool_call_id);
    const finish = asString(entry.finish_reason);
    let main = messages.find((m) => m.role === role);
    if (!main && (calls.length > 0 || callId || finish)) {
      main = { role, content: '' };
      if (role === 'assistant') messages.unshift(main);
      else messages.push(main);
    }
    if (!main) return messages;
    if (calls.length > 0) main.toolCalls = [...(main.toolCalls ?? []), ...calls];
    if (callId) main.toolCallId = callId;
    if (finish) main.finishReason = finish;
    return messages;
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
  const association = withPrefix(a, TRACELOOP_ASSOCIATION_PREFIX);
  const inputMessages = flattenedMessages(a, C.ATTR_GEN_AI_PROMPT, 'user');
  const outputMessages = flattenedMessages(a, C.ATTR_GEN_AI_COMPLETION, 'assistant');
  const extracted: Extracted = {
    requestParams: requestParamsFrom(a, C.GEN_AI_REQUEST_PREFIX),
    inputMessages: inputMessages.length > 0 ? inputMessages : parseMessages(a[C.ATTR_GEN_AI_INPUT_MESSAGES]),
    outputMessages:
      outputMessages.length > 0
        ? outputMessages
        : parseMessages(a[C.ATTR_GEN_AI_OUTPUT_MESSAGES], 'assistant'),
    systemInstructions: parseInstructions(a[C.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]),
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
    extracted.toolName = firstString(a, [C.ATTR_GEN_AI_TOOL_NAME, 'traceloop.entity.name']);
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
