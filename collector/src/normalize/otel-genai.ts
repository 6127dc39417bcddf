/**
 * OTel GenAI semantic conventions: current (≥ 1.37: `gen_ai.provider.name`,
 * JSON `gen_ai.input.messages` / `gen_ai.output.messages`) and older
 * (≤ 1.36: `gen_ai.system`, `gen_ai.usage.prompt_tokens`, per-message span
 * events). Both read the same table; the older form's messages come from
 * events when the JSON attributes are absent.
 */

import * as C from '@oversight/conventions';
import type { SpanEvent, SpanRecord } from '../otlp/span-record.ts';
import { asString, firstString, isRecord, parseJson, stringMap, withPrefix } from './attributes.ts';
import type { Message, Operation } from './llm-span.ts';
import {
  type ConventionMapping,
  type Extracted,
  type FieldTable,
  parseDocuments,
  requestParamsFrom,
} from './mapping.ts';
import { parseInstructions, parseMessages, toMessage } from './messages.ts';

const operations: Record<string, Operation> = {
  chat: 'chat',
  text_completion: 'text_completion',
  completion: 'text_completion',
  generate_content: 'generate_content',
  embeddings: 'embeddings',
  embedding: 'embeddings',
  retrieval: 'retrieval',
  rerank: 'rerank',
  generate_speech: 'generate_speech',
  transcribe: 'transcribe',
  execute_tool: 'execute_tool',
  create_agent: 'create_agent',
  invoke_agent: 'invoke_agent',
  invoke_workflow: 'invoke_workflow',
  apply_guardrail: 'apply_guardrail',
  // @ai-sdk/otel's names where the conventions have none; the audio calls keep the
  // AI SDK's operation id as their name.
  decide: 'decide',
  'ai.generateSpeech': 'generate_speech',
  'ai.transcribe': 'transcribe',
  'ai.streamTranscribe': 'transcribe',
};

export function genAiOperation(span: SpanRecord): Operation | null {
  const override = firstString(span.attributes, [C.ATTR_OVERSIGHT_OPERATION_NAME]);
  if (override && operations[override]) return operations[override];
  return operations[firstString(span.attributes, [C.ATTR_GEN_AI_OPERATION_NAME])] ?? null;
}

export const genAiFields: Partial<FieldTable> = {
  provider: [C.ATTR_GEN_AI_PROVIDER_NAME, C.ATTR_GEN_AI_SYSTEM],
  requestModel: [C.ATTR_GEN_AI_REQUEST_MODEL],
  responseModel: [C.ATTR_GEN_AI_RESPONSE_MODEL],
  responseId: [C.ATTR_GEN_AI_RESPONSE_ID],
  inputTokens: [C.ATTR_GEN_AI_USAGE_INPUT_TOKENS, C.ATTR_GEN_AI_USAGE_PROMPT_TOKENS],
  outputTokens: [C.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, C.ATTR_GEN_AI_USAGE_COMPLETION_TOKENS],
  cacheReadInputTokens: [
    C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    C.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_LEGACY,
  ],
  cacheCreationInputTokens: [
    C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    C.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_LEGACY,
  ],
  reasoningOutputTokens: [
    C.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    C.ATTR_GEN_AI_USAGE_REASONING_TOKENS_LEGACY,
  ],
  finishReasons: [C.ATTR_GEN_AI_RESPONSE_FINISH_REASONS],
  ttftSeconds: [C.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, C.ATTR_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK],
  sessionId: [C.ATTR_GEN_AI_CONVERSATION_ID],
  dataSourceId: [C.ATTR_GEN_AI_DATA_SOURCE_ID],
  retrievalQuery: [C.ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT],
  toolName: [C.ATTR_GEN_AI_TOOL_NAME],
  toolArguments: [C.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS],
  toolResult: [C.ATTR_GEN_AI_TOOL_CALL_RESULT],
};

/** Span-level context worth keeping that has no column of its own. */
function genAiMetadata(span: SpanRecord): Record<string, string> {
  const a = span.attributes;
  const picked: Record<string, unknown> = {};
  for (const key of [
    C.ATTR_GEN_AI_AGENT_NAME,
    C.ATTR_GEN_AI_AGENT_ID,
    C.ATTR_GEN_AI_AGENT_DESCRIPTION,
    C.ATTR_GEN_AI_WORKFLOW_NAME,
    C.ATTR_OVERSIGHT_WORKFLOW_ID,
    C.ATTR_GEN_AI_TOOL_CALL_ID,
    C.ATTR_GEN_AI_TOOL_TYPE,
    C.ATTR_GEN_AI_TOOL_DESCRIPTION,
    C.ATTR_GEN_AI_TOOL_DEFINITIONS,
    C.ATTR_GEN_AI_OUTPUT_TYPE,
    C.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
    C.ATTR_OVERSIGHT_EMBEDDINGS_INPUT_COUNT,
    C.ATTR_OVERSIGHT_REQUEST_RETRIED,
    C.ATTR_OVERSIGHT_CONTENT_TRUNCATED,
    C.ATTR_OVERSIGHT_STREAM_USAGE_INJECTED,
    C.ATTR_OVERSIGHT_GUARDRAIL_SKIPPED,
    C.ATTR_SERVER_ADDRESS,
    C.ATTR_SERVER_PORT,
  ]) {
    if (a[key] !== undefined) picked[key] = a[key];
  }
  const guardrail = withPrefix(a, C.GEN_AI_GUARDRAIL_PREFIX);
  for (const [key, value] of Object.entries(guardrail)) picked[`${C.GEN_AI_GUARDRAIL_PREFIX}.${key}`] = value;
  return stringMap(picked);
}

function extractCurrent(span: SpanRecord): Extracted {
  const a = span.attributes;
  return {
    requestParams: requestParamsFrom(a, C.GEN_AI_REQUEST_PREFIX),
    inputMessages: parseMessages(a[C.ATTR_GEN_AI_INPUT_MESSAGES]),
    outputMessages: parseMessages(a[C.ATTR_GEN_AI_OUTPUT_MESSAGES], 'assistant'),
    systemInstructions: parseInstructions(a[C.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS]),
    documents: parseDocuments(a[C.ATTR_GEN_AI_RETRIEVAL_DOCUMENTS]),
    metadata: genAiMetadata(span),
  };
}

const roleByEvent: Record<string, string> = {
  [C.EVENT_GEN_AI_SYSTEM_MESSAGE]: 'system',
  [C.EVENT_GEN_AI_USER_MESSAGE]: 'user',
  [C.EVENT_GEN_AI_ASSISTANT_MESSAGE]: 'assistant',
  [C.EVENT_GEN_AI_TOOL_MESSAGE]: 'tool',
};

/** An event's message: its attributes hold the body fields directly, or under `body` / `gen_ai.event.content`. */
function eventBody(event: SpanEvent): Record<string, unknown> {
  const nested = parseJson(event.attributes.body ?? event.attributes[C.ATTR_GEN_AI_EVENT_CONTENT]);
  return isRecord(nested) ? { ...event.attributes, ...nested } : { ...event.attributes };
}

function messagesFromEvents(events: SpanEvent[]): { input: Message[]; output: Message[] } {
  const input: Message[] = [];
  const output: Message[] = [];
  for (const event of events) {
    const role = roleByEvent[event.name];
    if (role) {
      const body = eventBody(event);
      const message = toMessage({ ...body, role: asString(body.role) || role }, role);
      if (message) input.push(message);
    } else if (event.name === C.EVENT_GEN_AI_CHOICE) {
      const body = eventBody(event);
      const inner = parseJson(body.message);
      const message = toMessage(
        { role: 'assistant', ...(isRecord(inner) ? inner : { content: inner }) },
        'assistant',
      );
      const finish = asString(body.finish_reason);
      if (message) output.push(finish ? { ...message, finishReason: finish } : message);
    } else if (event.name === C.EVENT_GEN_AI_CONTENT_PROMPT) {
      for (const m of parseMessages(event.attributes[C.ATTR_GEN_AI_PROMPT])) input.push(m);
    } else if (event.name === C.EVENT_GEN_AI_CONTENT_COMPLETION) {
      for (const m of parseMessages(event.attributes[C.ATTR_GEN_AI_COMPLETION], 'assistant')) output.push(m);
    }
  }
  return { input, output };
}

function extractLegacy(span: SpanRecord): Extracted {
  const current = extractCurrent(span);
  const fromEvents = messagesFromEvents(span.events);
  return {
    ...current,
    inputMessages: current.inputMessages?.length ? current.inputMessages : fromEvents.input,
    outputMessages: current.outputMessages?.length ? current.outputMessages : fromEvents.output,
  };
}

export const otelGenAi: ConventionMapping = {
  convention: 'otel-genai',
  operation: genAiOperation,
  fields: genAiFields,
  extract: extractCurrent,
};

export const otelGenAiLegacy: ConventionMapping = {
  convention: 'otel-genai-legacy',
  // Old instrumentations sometimes omit the operation; a span naming a system is an inference call.
  operation: (span) => genAiOperation(span) ?? 'chat',
  fields: genAiFields,
  extract: extractLegacy,
};
