/**
 * OTel GenAI semantic conventions: current (≥ 1.37: `gen_ai.provider.name`,
 * JSON `gen_ai.input.messages` / `gen_ai.output.messages`) and older
 * (≤ 1.36: `gen_ai.system`, `gen_ai.usage.prompt_tokens`, per-message span
 * events). Both read the same table; the older form's messages come from
 * events when the JSON attributes are absent.
 */
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
  execute_tool: 'execute_tool',
  create_agent: 'create_agent',
  invoke_agent: 'invoke_agent',
  invoke_workflow: 'invoke_workflow',
  apply_guardrail: 'apply_guardrail',
};

export function genAiOperation(span: SpanRecord): Operation | null {
  const override = firstString(span.attributes, ['oversight.operation.name']);
  if (override && operations[override]) return operations[override];
  return operations[firstString(span.attributes, ['gen_ai.operation.name'])] ?? null;
}

export const genAiFields: Partial<FieldTable> = {
  provider: ['gen_ai.provider.name', 'gen_ai.system'],
  requestModel: ['gen_ai.request.model'],
  responseModel: ['gen_ai.response.model'],
  responseId: ['gen_ai.response.id'],
  inputTokens: ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'],
  outputTokens: ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'],
  cacheReadInputTokens: ['gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens'],
  cacheCreationInputTokens: [
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
  ],
  reasoningOutputTokens: ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens'],
  finishReasons: ['gen_ai.response.finish_reasons'],
  ttftSeconds: ['gen_ai.response.time_to_first_chunk', 'gen_ai.client.operation.time_to_first_chunk'],
  sessionId: ['gen_ai.conversation.id'],
  dataSourceId: ['gen_ai.data_source.id'],
  retrievalQuery: ['gen_ai.retrieval.query.text'],
  toolName: ['gen_ai.tool.name'],
  toolArguments: ['gen_ai.tool.call.arguments'],
  toolResult: ['gen_ai.tool.call.result'],
};

/** Span-level context worth keeping that has no column of its own. */
function genAiMetadata(span: SpanRecord): Record<string, string> {
  const a = span.attributes;
  const picked: Record<string, unknown> = {};
  for (const key of [
    'gen_ai.agent.name',
    'gen_ai.agent.id',
    'gen_ai.workflow.name',
    'oversight.workflow.id',
    'gen_ai.tool.call.id',
    'gen_ai.tool.type',
    'gen_ai.output.type',
  ]) {
    if (a[key] !== undefined) picked[key] = a[key];
  }
  const guardrail = withPrefix(a, 'gen_ai.guardrail');
  for (const [key, value] of Object.entries(guardrail)) picked[`gen_ai.guardrail.${key}`] = value;
  return stringMap(picked);
}

function extractCurrent(span: SpanRecord): Extracted {
  const a = span.attributes;
  return {
    requestParams: requestParamsFrom(a, 'gen_ai.request'),
    inputMessages: parseMessages(a['gen_ai.input.messages']),
    outputMessages: parseMessages(a['gen_ai.output.messages'], 'assistant'),
    systemInstructions: parseInstructions(a['gen_ai.system_instructions']),
    documents: parseDocuments(a['gen_ai.retrieval.documents']),
    metadata: genAiMetadata(span),
  };
}

const roleByEvent: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/** An event's message: its attributes hold the body fields directly, or under `body` / `gen_ai.event.content`. */
function eventBody(event: SpanEvent): Record<string, unknown> {
  const nested = parseJson(event.attributes.body ?? event.attributes['gen_ai.event.content']);
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
    } else if (event.name === 'gen_ai.choice') {
      const body = eventBody(event);
      const inner = parseJson(body.message);
      const message = toMessage(
        { role: 'assistant', ...(isRecord(inner) ? inner : { content: inner }) },
        'assistant',
      );
      const finish = asString(body.finish_reason);
      if (message) output.push(finish ? { ...message, finishReason: finish } : message);
    } else if (event.name === 'gen_ai.content.prompt') {
      input.push(...parseMessages(event.attributes['gen_ai.prompt']));
    } else if (event.name === 'gen_ai.content.completion') {
      output.push(...parseMessages(event.attributes['gen_ai.completion'], 'assistant'));
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
