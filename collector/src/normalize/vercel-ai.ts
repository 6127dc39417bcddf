/**
 * The Vercel AI SDK's own telemetry (`ai.*`): span names like
 * `ai.generateText.doGenerate`, `ai.streamText.doStream`, `ai.embed.doEmbed`,
 * `ai.toolCall`; usage in v4 (`promptTokens`) and v5+ (`inputTokens`)
 * spellings; session and user from `ai.telemetry.metadata.*`.
 */

import * as C from '@oversight/conventions';
import type { SpanRecord } from '../otlp/span-record.ts';
import {
  asNumber,
  asString,
  firstString,
  isRecord,
  parseJson,
  stringList,
  stringMap,
  withPrefix,
} from './attributes.ts';
import type { Message, Operation, RetrievedDocument, ToolCall } from './llm-span.ts';
import {
  type ConventionMapping,
  documentFrom,
  type Extracted,
  type FieldTable,
  paramValue,
} from './mapping.ts';
import { parseInstructions, parseMessages, toMessage } from './messages.ts';
import { flattenedMessages } from './openllmetry.ts';

/** The provider call is the LLM step; the outer call is the agent loop around it. */
function operation(span: SpanRecord): Operation | null {
  const id = firstString(span.attributes, ['ai.operationId']) || span.name;
  if (
    firstString(span.attributes, [C.ATTR_OVERSIGHT_OPERATION_NAME]) === 'rerank' ||
    id === 'ai.rerank.doRerank'
  )
    return 'rerank';
  if (/\.do(Generate|Stream)$/.test(id)) return 'chat';
  if (/^ai\.(embed|embedMany)\.doEmbed$/.test(id)) return 'embeddings';
  // One request answering the app's typed questions about a state (text, JSON, files).
  if (id === 'ai.decide.doDecide') return 'decide';
  // Speech and transcription are one span each: the call itself, with its usage.
  if (id === 'ai.generateSpeech') return 'generate_speech';
  if (id === 'ai.transcribe' || id === 'ai.streamTranscribe') return 'transcribe';
  if (id === 'ai.toolCall') return 'execute_tool';
  if (/^ai\.(generateText|streamText|generateObject|streamObject)$/.test(id)) return 'invoke_agent';
  if (/^ai\.(embed|embedMany|rerank|decide)$/.test(id)) return 'invoke_workflow';
  return null;
}

const metadataKeys = (names: string[]) => names.map((n) => `ai.telemetry.metadata.${n}`);
const sessionNames = ['sessionId', 'session_id', 'session.id', 'conversationId'];
const userNames = ['userId', 'user_id', 'user.id'];

/**
 * The `ai.*` keys first; then the `gen_ai.*` names the Traceloop SDK puts in
 * their place when it rewrites these spans on export (it keeps `ai.operationId`).
 */
const fields: Partial<FieldTable> = {
  provider: ['ai.model.provider', C.ATTR_GEN_AI_SYSTEM, C.ATTR_GEN_AI_PROVIDER_NAME],
  requestModel: ['ai.model.id', C.ATTR_GEN_AI_REQUEST_MODEL],
  responseModel: ['ai.response.model', C.ATTR_GEN_AI_RESPONSE_MODEL],
  responseId: ['ai.response.id', C.ATTR_GEN_AI_RESPONSE_ID],
  // Speech and transcription spans carry the provider's own usage object, keys snake-cased
  // (`ai.usage.input_tokens`); other units (`ai.usage.seconds`, `ai.usage.characters`) are no tokens.
  inputTokens: [
    'ai.usage.inputTokens',
    'ai.usage.promptTokens',
    'ai.usage.tokens',
    'ai.usage.input_tokens',
    C.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ],
  outputTokens: [
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
    'ai.usage.output_tokens',
    C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ],
  cacheReadInputTokens: [
    'ai.usage.inputTokenDetails.cacheReadTokens',
    'ai.usage.cachedInputTokens',
    C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_LEGACY,
  ],
  cacheCreationInputTokens: [
    'ai.usage.inputTokenDetails.cacheWriteTokens',
    C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_LEGACY,
  ],
  reasoningOutputTokens: [
    'ai.usage.outputTokenDetails.reasoningTokens',
    'ai.usage.reasoningTokens',
    C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    C.ATTR_GEN_AI_USAGE_REASONING_TOKENS_LEGACY,
  ],
  finishReasons: ['ai.response.finishReason', C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS],
  ttftMs: ['ai.response.msToFirstChunk', 'ai.stream.msToFirstChunk'],
  // The Traceloop SDK moves these to traceloop.association.properties.*, which every convention reads.
  sessionId: metadataKeys(sessionNames),
  userId: metadataKeys(userNames),
  toolName: ['ai.toolCall.name', C.ATTR_GEN_AI_TOOL_NAME],
  toolArguments: ['ai.toolCall.args', 'ai.toolCall.input', C.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS],
  toolResult: ['ai.toolCall.result', 'ai.toolCall.output', C.ATTR_GEN_AI_TOOL_CALL_RESULT],
};

const settingNames: Record<string, string> = {
  temperature: 'temperature',
  maxOutputTokens: 'max_tokens',
  maxTokens: 'max_tokens',
  topP: 'top_p',
  topK: 'top_k',
  frequencyPenalty: 'frequency_penalty',
  presencePenalty: 'presence_penalty',
  stopSequences: 'stop_sequences',
  seed: 'seed',
};

function toolCallsOf(value: unknown): ToolCall[] {
  const list = parseJson(value);
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).map((c) => ({
    id: asString(c.toolCallId ?? c.id),
    name: asString(c.toolName ?? c.name),
    arguments:
      typeof (c.input ?? c.args) === 'string'
        ? asString(c.input ?? c.args)
        : JSON.stringify(c.input ?? c.args ?? {}),
  }));
}

/**
 * `ai.values`, `ai.documents`, `ai.ranking`: lists whose items the SDK wrote
 * as `JSON.stringify(item)`, so a text value arrives as `"text"` in quotes.
 */
function telemetryItems(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.map(parseJson);
  // One attribute holding one JSON value, or a JSON list whose items are values already.
  const parsed = parseJson(value);
  if (Array.isArray(parsed)) return parsed;
  return parsed === undefined || parsed === null ? [] : [parsed];
}

const itemText = (item: unknown) => (typeof item === 'string' ? item : asString(item));

function rerankDocuments(span: SpanRecord): { input: RetrievedDocument[]; output: RetrievedDocument[] } {
  const input = telemetryItems(span.attributes['ai.documents']).map((item, i): RetrievedDocument => {
    if (!isRecord(item)) return { id: '', rank: i + 1, score: null, content: itemText(item) };
    const doc = documentFrom(item, i + 1);
    // An object document with no text field of the usual names is its JSON.
    return doc.content ? doc : { ...doc, content: asString(item) };
  });
  // Each ranking entry points into the documents sent: `{ index, relevanceScore }`.
  const output = telemetryItems(span.attributes['ai.ranking'])
    .filter(isRecord)
    .map((entry, i): RetrievedDocument => {
      const index = asNumber(entry.index ?? entry.originalIndex);
      const source = index === null ? undefined : input[index];
      return {
        id: source?.id ?? '',
        rank: i + 1,
        score: asNumber(entry.relevanceScore ?? entry.score),
        content: source?.content ?? '',
        ...(source?.metadata ? { metadata: source.metadata } : {}),
      };
    });
  return { input, output };
}

/**
 * Messages of a span the Traceloop SDK rewrote on export: it deletes
 * `ai.prompt.messages`, `ai.response.text` and `ai.response.toolCalls` and
 * writes them as `gen_ai.prompt.{i}.*` / `gen_ai.completion.{i}.*` (and
 * `gen_ai.input.messages` / `gen_ai.output.messages`).
 */
function rewritten(a: SpanRecord['attributes'], side: 'input' | 'output'): Message[] {
  const flattened =
    side === 'input'
      ? flattenedMessages(a, C.ATTR_GEN_AI_PROMPT, 'user')
      : flattenedMessages(a, C.ATTR_GEN_AI_COMPLETION, 'assistant');
  if (flattened.length > 0) return flattened;
  return side === 'input'
    ? parseMessages(a[C.ATTR_GEN_AI_INPUT_MESSAGES])
    : parseMessages(a[C.ATTR_GEN_AI_OUTPUT_MESSAGES], 'assistant');
}

/** `ai.prompt` on the outer span: `{ system?, prompt?, messages? }`. */
function fromPrompt(value: unknown): { system: string; messages: Message[] } {
  const parsed = parseJson(value);
  if (!isRecord(parsed))
    return {
      system: '',
      messages: typeof parsed === 'string' && parsed ? [{ role: 'user', content: parsed }] : [],
    };
  const messages = parseMessages(parsed.messages);
  const prompt = parsed.prompt;
  if (typeof prompt === 'string' && prompt) messages.push({ role: 'user', content: prompt });
  else if (Array.isArray(prompt)) for (const m of parseMessages(prompt)) messages.push(m);
  // AI SDK 6 also takes `system` as one or more `{ role: 'system', content }` messages; a string
  // is the prompt as written, even one that reads as JSON.
  const system = typeof parsed.system === 'string' ? parsed.system : parseInstructions(parsed.system);
  return { system, messages };
}

function extract(span: SpanRecord, op: Operation): Extracted {
  const a = span.attributes;
  const settings = withPrefix(a, 'ai.settings');
  const requestParams: Extracted['requestParams'] = {};
  for (const [key, name] of Object.entries(settingNames)) {
    const value = paramValue(settings[key]);
    if (value !== null) requestParams[name] = value;
  }
  const prompt = fromPrompt(a['ai.prompt']);
  let inputMessages =
    a['ai.prompt.messages'] !== undefined ? parseMessages(a['ai.prompt.messages']) : prompt.messages;
  if (inputMessages.length === 0) inputMessages = rewritten(a, 'input');
  const text = asString(a['ai.response.text'] ?? a['ai.response.object']);
  const calls = toolCallsOf(a['ai.response.toolCalls']);
  const finish = stringList(a['ai.response.finishReason'])[0] ?? '';
  const outputMessages: Message[] = [];
  if (text || calls.length > 0) {
    const message = toMessage({ role: 'assistant', content: text }, 'assistant') ?? {
      role: 'assistant',
      content: text,
    };
    if (calls.length > 0) message.toolCalls = calls;
    if (finish) message.finishReason = finish;
    outputMessages.push(message);
  }
  if (outputMessages.length === 0) for (const m of rewritten(a, 'output')) outputMessages.push(m);
  const metadata = withPrefix(a, 'ai.telemetry.metadata');
  const functionId = a['ai.telemetry.functionId'];
  const extracted: Extracted = {
    requestParams,
    inputMessages,
    outputMessages,
    systemInstructions: prompt.system,
    metadata: stringMap({ ...metadata, ...(functionId !== undefined ? { functionId } : {}) }),
  };
  const firstChunk = span.events.find((e) => e.name === 'ai.stream.firstChunk');
  const ttft = asNumber(
    firstChunk?.attributes['ai.response.msToFirstChunk'] ??
      firstChunk?.attributes['ai.stream.msToFirstChunk'],
  );
  if (ttft !== null) extracted.timeToFirstTokenMs = ttft;
  if (op === 'embeddings' || op === 'invoke_workflow') {
    extracted.inputMessages = telemetryItems(a['ai.values'] ?? a['ai.value'])
      .map(itemText)
      .filter((v) => v !== '')
      .map((v) => ({ role: 'user', content: v }));
  }
  if (op === 'generate_speech') {
    // The text spoken is the call's input, as @ai-sdk/otel's GenAI flavour records it.
    const text = asString(a['ai.request.text']);
    extracted.inputMessages = text ? [{ role: 'user', content: text }] : [];
  }
  if (op === 'rerank') {
    const ranked = rerankDocuments(span);
    extracted.inputDocuments = ranked.input;
    extracted.documents = ranked.output;
  }
  return extracted;
}

export const vercelAi: ConventionMapping = { convention: 'vercel-ai', operation, fields, extract };
