/**
 * The engine every convention adapter shares. An adapter is a declarative
 * table (canonical field → attribute keys, first present wins) plus an
 * `extract` function for what a key list cannot express (messages, documents);
 * the engine reads the table, adds the `oversight.*` extras every convention
 * may carry, splits system messages out, and caps text sizes.
 */

import * as C from '@oversight/conventions';
import type { AttributeValue, SpanRecord } from '../otlp/span-record.ts';
import {
  asCount,
  asNumber,
  firstNumber,
  firstString,
  isRecord,
  parseJson,
  stringList,
  stringMap,
  withPrefix,
} from './attributes.ts';
import { parseGuardrail } from './guardrail.ts';
import type { Convention, LlmSpan, Message, Operation, RetrievedDocument } from './llm-span.ts';
import { truncateText } from './truncate.ts';

export interface FieldTable {
  provider: string[];
  requestModel: string[];
  responseModel: string[];
  responseId: string[];
  inputTokens: string[];
  outputTokens: string[];
  cacheReadInputTokens: string[];
  cacheCreationInputTokens: string[];
  reasoningOutputTokens: string[];
  costUsd: string[];
  finishReasons: string[];
  ttftSeconds: string[];
  ttftMs: string[];
  sessionId: string[];
  userId: string[];
  dataSourceId: string[];
  retrievalQuery: string[];
  workflowName: string[];
  toolName: string[];
  toolArguments: string[];
  toolResult: string[];
}

export type Extracted = Partial<
  Pick<
    LlmSpan,
    | 'provider'
    | 'requestModel'
    | 'responseModel'
    | 'responseId'
    | 'requestParams'
    | 'finishReasons'
    | 'timeToFirstTokenMs'
    | 'inputMessages'
    | 'outputMessages'
    | 'systemInstructions'
    | 'toolName'
    | 'toolArguments'
    | 'toolResult'
    | 'retrievalQuery'
    | 'documents'
    | 'inputDocuments'
    | 'dataSourceId'
    | 'queryEmbedding'
    | 'sessionId'
    | 'userId'
    | 'metadata'
  >
>;

export interface ConventionMapping {
  convention: Convention;
  /** The step this span is, or null when it is not an LLM/RAG step. */
  operation(span: SpanRecord): Operation | null;
  fields: Partial<FieldTable>;
  extract(span: SpanRecord, operation: Operation): Extracted;
}

/** What any emitter may add on top of its convention; read before the convention's own keys. */
const oversightFields: Partial<FieldTable> = {
  costUsd: [C.ATTR_OVERSIGHT_USAGE_COST_USD],
  workflowName: [C.ATTR_GEN_AI_WORKFLOW_NAME],
  sessionId: [C.ATTR_OVERSIGHT_SESSION_ID],
  userId: [C.ATTR_OVERSIGHT_USER_ID],
};
/**
 * The Traceloop SDK copies the app's association properties (`session_id`,
 * `user_id`, …) onto every span it starts, whatever convention the
 * instrumentation that made the span speaks.
 */
export const TRACELOOP_ASSOCIATION_PREFIX = 'traceloop.association.properties';
export const associationKeys = (names: readonly string[]) =>
  names.map((n) => `${TRACELOOP_ASSOCIATION_PREFIX}.${n}`);
export const SESSION_KEY_NAMES = [
  'session_id',
  'sessionId',
  'session.id',
  'conversation_id',
  'conversationId',
];
export const USER_KEY_NAMES = ['user_id', 'userId', 'user.id'];

/** Generic keys read after the convention's own. */
const genericFields: Partial<FieldTable> = {
  sessionId: ['session.id', C.ATTR_GEN_AI_CONVERSATION_ID, ...associationKeys(SESSION_KEY_NAMES)],
  userId: ['user.id', 'enduser.id', ...associationKeys(USER_KEY_NAMES)],
};

function keysFor(table: Partial<FieldTable>, field: keyof FieldTable): string[] {
  return [...(oversightFields[field] ?? []), ...(table[field] ?? []), ...(genericFields[field] ?? [])];
}

/**
 * A float array as JSON/array, or base64 little-endian float32 (what the SDK
 * writes). With `dimensions` given, a vector of another length is refused: a
 * cut or corrupted attribute must not become a wrong point for the clusterer.
 */
export function parseEmbedding(
  value: AttributeValue | undefined,
  dimensions: number | null = null,
): number[] | null {
  if (value === undefined || value === null) return null;
  const vector = decodeVector(parseJson(value));
  if (!vector || vector.length === 0 || !vector.every(Number.isFinite)) return null;
  return dimensions === null || vector.length === dimensions ? vector : null;
}

function decodeVector(parsed: unknown): number[] | null {
  if (Array.isArray(parsed)) {
    const numbers = parsed.map(asNumber);
    return numbers.every((n) => n !== null) ? (numbers as number[]) : null;
  }
  if (typeof parsed === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(parsed.trim())) {
    const bytes = Buffer.from(parsed.trim(), 'base64');
    if (bytes.length % 4 !== 0) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out: number[] = new Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  return null;
}

/** `tool-calls` (AI SDK) and `tool_calls` (OpenAI) are the same reason; one spelling keeps group-bys whole. */
function canonicalFinishReason(reason: string): string {
  return reason.replaceAll('-', '_');
}

function statusOf(span: SpanRecord): LlmSpan['status'] {
  if (span.statusCode === 'Error') return 'error';
  return span.statusCode === 'Ok' ? 'ok' : 'unset';
}

function errorTypeOf(span: SpanRecord): string {
  const declared = firstString(span.attributes, [C.ATTR_ERROR_TYPE]);
  if (declared) return declared;
  const exception = span.events.find((e) => e.name === 'exception');
  return exception ? firstString(exception.attributes, ['exception.type']) : '';
}

/**
 * Other names for the conventions' roles: LangChain's `human` / `ai`,
 * Gemini's `model`, Cohere's `CHATBOT` / `USER`, the `function` turn of a
 * function's result. Read as themselves, a user
 * turn would not be the prompt and an answer would not be the answer.
 */
const ROLE_ALIASES: Record<string, string> = {
  human: 'user',
  ai: 'assistant',
  model: 'assistant',
  chatbot: 'assistant',
  // OpenAI's legacy function calling and Gemini answer a call in a `function` turn.
  function: 'tool',
};

function withCanonicalRole(m: Message): Message {
  const lower = m.role.toLowerCase();
  const role = Object.hasOwn(ROLE_ALIASES, lower) ? (ROLE_ALIASES[lower] as string) : lower;
  return role === m.role ? m : { ...m, role };
}

function truncateMessage(m: Message, max: number): Message {
  const out: Message = { ...m, content: truncateText(m.content, max) };
  if (m.toolCalls)
    out.toolCalls = m.toolCalls.map((c) => ({ ...c, arguments: truncateText(c.arguments, max) }));
  return out;
}

function truncateDocument(d: RetrievedDocument, max: number): RetrievedDocument {
  return { ...d, content: truncateText(d.content, max) };
}

function pick<T>(extracted: T | undefined, fallback: T, empty: (v: T) => boolean): T {
  return extracted !== undefined && !empty(extracted) ? extracted : fallback;
}
const emptyString = (v: string) => v === '';
const emptyList = (v: unknown[]) => v.length === 0;
const emptyObject = (v: object) => Object.keys(v).length === 0;
const isNull = (v: unknown) => v === null;

/**
 * An agent or workflow run inside the app reports the total of the model
 * calls traced as its children (the AI SDK's `ai.generateText` or `ai.embed`
 * repeats its `doGenerate` / `doEmbed` spans' usage, its `invoke_agent` under
 * `@ai-sdk/otel` its `chat` spans'), which report their own. Its row keeps
 * no usage or cost, so a sum over `llm_spans` counts each call once whatever
 * it filters on. A remote agent (a Client span) keeps them: its model calls
 * are not traced here.
 */
function repeatsCallsUsage(span: SpanRecord, operation: Operation): boolean {
  return (operation === 'invoke_agent' || operation === 'invoke_workflow') && span.kind !== 'Client';
}

export function buildLlmSpan(
  span: SpanRecord,
  mapping: ConventionMapping,
  operation: Operation,
  maxTextChars: number,
): LlmSpan {
  const a = span.attributes;
  const t = mapping.fields;
  const str = (field: keyof FieldTable) => firstString(a, keysFor(t, field));
  const num = (field: keyof FieldTable) => firstNumber(a, keysFor(t, field));
  // Counts and amounts land in UInt64 / non-negative columns: a value that
  // cannot be one (negative, fractional, astronomically large) is unknown, not
  // a reason for ClickHouse to refuse the whole batch.
  const count = (field: keyof FieldTable) => asCount(num(field));
  const amount = (field: keyof FieldTable) => {
    const value = num(field);
    return value !== null && value >= 0 ? value : null;
  };
  const ownUsage = !repeatsCallsUsage(span, operation);
  const usage = (field: keyof FieldTable) => (ownUsage ? count(field) : null);
  const x = mapping.extract(span, operation);

  const ttftSeconds = amount('ttftSeconds');
  const ttftTable = ttftSeconds !== null ? ttftSeconds * 1000 : amount('ttftMs');
  let inputMessages = (x.inputMessages ?? []).map(withCanonicalRole);
  let systemInstructions = x.systemInstructions ?? '';
  // System prompts live in one place whatever the emitter did with them.
  const systemMessages = inputMessages.filter((m) => m.role === 'system' || m.role === 'developer');
  if (systemMessages.length > 0) {
    inputMessages = inputMessages.filter((m) => m.role !== 'system' && m.role !== 'developer');
    // Instructions given apart (Responses API `instructions`) and developer turns in the
    // history are both in force; a text sent both ways is one instruction, the instructions
    // holding several turns' texts (joined) included.
    const given = systemInstructions;
    const turns = systemMessages.map((m) => m.content).filter((text) => text !== '' && !given.includes(text));
    systemInstructions = [...new Set([given, ...turns].filter(Boolean))].join('\n');
  }
  const outputMessages = (x.outputMessages ?? []).map(withCanonicalRole);
  const tableFinish =
    keysFor(t, 'finishReasons')
      .map((k) => stringList(a[k]))
      .find((list) => list.length > 0) ?? [];
  const messageFinish = outputMessages.map((m) => m.finishReason ?? '').filter(Boolean);
  // App tags from the SDK's withContext ride on spans of every convention; the convention's own metadata wins.
  const metadata = {
    ...stringMap(withPrefix(a, TRACELOOP_ASSOCIATION_PREFIX)),
    ...stringMap(withPrefix(a, C.OVERSIGHT_METADATA_PREFIX)),
    ...x.metadata,
  };

  const max = maxTextChars;
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    convention: mapping.convention,
    operation,
    name: span.name,
    serviceName: span.serviceName,
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    provider: C.canonicalProvider(pick(x.provider, str('provider'), emptyString)),
    requestModel: pick(x.requestModel, str('requestModel'), emptyString),
    responseModel: pick(x.responseModel, str('responseModel'), emptyString),
    responseId: pick(x.responseId, str('responseId'), emptyString),
    requestParams: x.requestParams ?? {},
    inputTokens: usage('inputTokens'),
    outputTokens: usage('outputTokens'),
    cacheReadInputTokens: usage('cacheReadInputTokens'),
    cacheCreationInputTokens: usage('cacheCreationInputTokens'),
    reasoningOutputTokens: usage('reasoningOutputTokens'),
    costUsd: ownUsage ? amount('costUsd') : null,
    finishReasons: pick(x.finishReasons, tableFinish.length > 0 ? tableFinish : messageFinish, emptyList).map(
      canonicalFinishReason,
    ),
    timeToFirstTokenMs: pick(x.timeToFirstTokenMs ?? null, ttftTable, isNull),
    inputMessages: inputMessages.map((m) => truncateMessage(m, max)),
    outputMessages: outputMessages.map((m) => truncateMessage(m, max)),
    systemInstructions: truncateText(systemInstructions, max),
    toolCalls: outputMessages
      .flatMap((m) => m.toolCalls ?? [])
      .map((c) => ({ ...c, arguments: truncateText(c.arguments, max) })),
    toolName: pick(x.toolName, str('toolName'), emptyString),
    toolArguments: truncateText(pick(x.toolArguments, str('toolArguments'), emptyString), max),
    toolResult: truncateText(pick(x.toolResult, str('toolResult'), emptyString), max),
    retrievalQuery: truncateText(pick(x.retrievalQuery, str('retrievalQuery'), emptyString), max),
    documents: (x.documents ?? []).map((d) => truncateDocument(d, max)),
    inputDocuments: pick(
      x.inputDocuments,
      parseDocuments(a[C.ATTR_OVERSIGHT_RERANK_INPUT_DOCUMENTS]),
      emptyList,
    ).map((d) => truncateDocument(d, max)),
    dataSourceId: pick(x.dataSourceId, str('dataSourceId'), emptyString),
    queryEmbedding:
      parseEmbedding(
        a[C.ATTR_OVERSIGHT_RETRIEVAL_QUERY_EMBEDDING],
        firstNumber(a, [C.ATTR_OVERSIGHT_RETRIEVAL_QUERY_EMBEDDING_DIMENSIONS]),
      ) ??
      x.queryEmbedding ??
      null,
    workflowName: str('workflowName'),
    guardrail: operation === 'apply_guardrail' ? parseGuardrail(span) : null,
    sessionId: str('sessionId') || (x.sessionId ?? ''),
    userId: str('userId') || (x.userId ?? ''),
    metadata: emptyObject(metadata) ? {} : metadata,
    status: statusOf(span),
    errorType: errorTypeOf(span),
    statusMessage: span.statusMessage,
  };
}

/** `gen_ai.request.*`-style keys (minus the model) as request params. */
export function requestParamsFrom(
  attrs: Record<string, AttributeValue>,
  prefix: string,
): LlmSpan['requestParams'] {
  const out: LlmSpan['requestParams'] = {};
  const start = `${prefix}.`;
  for (const [key, value] of Object.entries(attrs)) {
    if (!key.startsWith(start)) continue;
    const name = key.slice(start.length);
    if (name === 'model' || name.includes('.')) continue;
    const param = paramValue(value);
    if (param !== null) out[name] = param;
  }
  return out;
}

export function paramValue(value: unknown): number | string | boolean | string[] | null {
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => String(v));
  return null;
}

/** Documents from a JSON list of objects with id/score/content in any of the usual spellings. */
export function parseDocuments(value: unknown): RetrievedDocument[] {
  const parsed = parseJson(value);
  if (!Array.isArray(parsed)) return [];
  return parsed.map((raw, i) => documentFrom(isRecord(raw) ? raw : { content: raw }, i + 1));
}

export function documentFrom(raw: Record<string, unknown>, rank: number): RetrievedDocument {
  const metadataRaw = parseJson(raw.metadata);
  const doc: RetrievedDocument = {
    id: firstString(raw as Record<string, AttributeValue>, ['id', 'document_id', 'doc_id']),
    rank,
    score: asNumber(raw.score ?? raw.relevance_score),
    content: firstString(raw as Record<string, AttributeValue>, [
      'content',
      'text',
      'document',
      'page_content',
      'pageContent',
    ]),
  };
  if (isRecord(metadataRaw)) doc.metadata = metadataRaw;
  return doc;
}
