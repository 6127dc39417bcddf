/**
 * OpenInference (Arize Phoenix): `openinference.span.kind`, flattened
 * `llm.input_messages.{i}.message.*`, `retrieval.documents.{i}.document.*`,
 * `reranker.*`, `llm.token_count.*`, `session.id` / `user.id`.
 */
import type { AttributeValue, SpanRecord } from '../otlp/span-record.ts';
import { asString, firstString, indexed, isRecord, parseJson, stringList, stringMap } from './attributes.ts';
import type { Message, Operation, RetrievedDocument, ToolCall } from './llm-span.ts';
import {
  type ConventionMapping,
  documentFrom,
  type Extracted,
  type FieldTable,
  paramValue,
} from './mapping.ts';
import { parseMessages } from './messages.ts';

const operations: Record<string, Operation> = {
  LLM: 'chat',
  EMBEDDING: 'embeddings',
  RETRIEVER: 'retrieval',
  RERANKER: 'rerank',
  TOOL: 'execute_tool',
  AGENT: 'invoke_agent',
  GUARDRAIL: 'apply_guardrail',
};

const fields: Partial<FieldTable> = {
  provider: ['llm.provider', 'llm.system'],
  responseModel: ['llm.response.model_name', 'llm.model_name', 'embedding.model_name', 'reranker.model_name'],
  inputTokens: ['llm.token_count.prompt'],
  outputTokens: ['llm.token_count.completion'],
  cacheReadInputTokens: ['llm.token_count.prompt_details.cache_read'],
  cacheCreationInputTokens: ['llm.token_count.prompt_details.cache_write'],
  reasoningOutputTokens: ['llm.token_count.completion_details.reasoning'],
  costUsd: ['llm.cost.total'],
  finishReasons: ['llm.finish_reason'],
  toolName: ['tool.name', 'tool_call.function.name'],
  retrievalQuery: ['reranker.query'],
};

/** Canonical param names for the invocation parameters OpenAI-style clients pass. */
const paramNames: Record<string, string> = {
  temperature: 'temperature',
  max_tokens: 'max_tokens',
  max_completion_tokens: 'max_tokens',
  max_output_tokens: 'max_tokens',
  top_p: 'top_p',
  top_k: 'top_k',
  frequency_penalty: 'frequency_penalty',
  presence_penalty: 'presence_penalty',
  stop: 'stop_sequences',
  stop_sequences: 'stop_sequences',
  seed: 'seed',
  n: 'choice.count',
};

function toolCallsOf(entry: Record<string, AttributeValue>): ToolCall[] {
  const calls = indexed(entry as Record<string, AttributeValue>, 'message.tool_calls');
  return calls.map((c) => ({
    id: asString(c['tool_call.id']),
    name: asString(c['tool_call.function.name']),
    arguments: asString(c['tool_call.function.arguments']),
  }));
}

function messagesOf(attrs: Record<string, AttributeValue>, prefix: string, defaultRole: string): Message[] {
  return indexed(attrs, prefix).map((entry) => {
    let content = asString(entry['message.content']);
    if (!content) {
      content = indexed(entry, 'message.contents')
        .map((part) => {
          const type = asString(part['message_content.type']);
          return type === 'text' || type === '' ? asString(part['message_content.text']) : `[${type}]`;
        })
        .filter(Boolean)
        .join('\n');
    }
    const message: Message = { role: asString(entry['message.role']) || defaultRole, content };
    const calls = toolCallsOf(entry);
    if (calls.length > 0) message.toolCalls = calls;
    const callId = asString(entry['message.tool_call_id']);
    if (callId) message.toolCallId = callId;
    // The Anthropic instrumentation records a user turn made of a `tool_result` block as a
    // user message with the call's id: it is the tool's answer, not the user's question.
    if (callId && message.role.toLowerCase() === 'user') message.role = 'tool';
    return message;
  });
}

function documentsOf(attrs: Record<string, AttributeValue>, prefix: string): RetrievedDocument[] {
  return indexed(attrs, prefix).map((entry, i) =>
    documentFrom(
      {
        id: entry['document.id'],
        score: entry['document.score'],
        content: entry['document.content'],
        metadata: entry['document.metadata'],
      },
      i + 1,
    ),
  );
}

/**
 * The completions API's `llm.prompts.{i}.prompt.text` / `llm.choices.{i}.completion.text`.
 */
function completionTexts(
  attrs: Record<string, AttributeValue>,
  prefix: string,
  textKey: string,
  role: string,
): Message[] {
  const list = attrs[prefix];
  // Some instrumentations write `llm.prompts` whole: a list, or one JSON-encoded prompt.
  const texts =
    list !== undefined
      ? stringList(list)
      : indexed(attrs, prefix).map((entry) => asString(entry[textKey] ?? entry['']));
  return texts.filter(Boolean).map((content) => ({ role, content }));
}

const isCompletionsCall = (attrs: Record<string, AttributeValue>) =>
  !Object.keys(attrs).some((k) => k.startsWith('llm.input_messages.')) &&
  (attrs['llm.prompts'] !== undefined || Object.keys(attrs).some((k) => k.startsWith('llm.prompts.')));

/** `input.value` / `output.value` as text: JSON bodies stay JSON text. */
function ioValue(attrs: Record<string, AttributeValue>, key: 'input' | 'output'): string {
  return asString(attrs[`${key}.value`]);
}

function extract(span: SpanRecord, operation: Operation): Extracted {
  const a = span.attributes;
  const invocation = parseJson(a['llm.invocation_parameters']);
  const params: Extracted['requestParams'] = {};
  let requestModel = '';
  if (isRecord(invocation)) {
    requestModel = asString(invocation.model);
    for (const [key, name] of Object.entries(paramNames)) {
      const value = paramValue(invocation[key]);
      if (value !== null) params[name] = value;
    }
  }
  const input = parseJson(a['input.value']);
  let inputMessages = messagesOf(a, 'llm.input_messages', 'user');
  if (inputMessages.length === 0) inputMessages = completionTexts(a, 'llm.prompts', 'prompt.text', 'user');
  if (
    inputMessages.length === 0 &&
    operation === 'chat' &&
    isRecord(input) &&
    Array.isArray(input.messages)
  ) {
    inputMessages = parseMessages(input.messages);
  }
  let outputMessages = messagesOf(a, 'llm.output_messages', 'assistant');
  if (outputMessages.length === 0)
    outputMessages = completionTexts(a, 'llm.choices', 'completion.text', 'assistant');
  if (
    outputMessages.length === 0 &&
    (operation === 'chat' || operation === 'text_completion') &&
    a['output.value'] !== undefined
  ) {
    outputMessages = [{ role: 'assistant', content: ioValue(a, 'output') }];
  }
  const output = parseJson(a['output.value']);
  const metadata = parseJson(a.metadata);
  const tags = a['tag.tags'];
  const extracted: Extracted = {
    requestModel:
      requestModel ||
      firstString(a, [
        'llm.request.model_name',
        'llm.model_name',
        'embedding.model_name',
        'reranker.model_name',
      ]),
    responseId: isRecord(output) ? asString(output.id) : '',
    requestParams: params,
    inputMessages,
    outputMessages,
    metadata: stringMap({ ...(isRecord(metadata) ? metadata : {}), ...(tags !== undefined ? { tags } : {}) }),
  };
  if (operation === 'retrieval') {
    extracted.retrievalQuery = ioValue(a, 'input');
    extracted.documents = documentsOf(a, 'retrieval.documents');
  } else if (operation === 'rerank') {
    extracted.documents = documentsOf(a, 'reranker.output_documents');
    extracted.inputDocuments = documentsOf(a, 'reranker.input_documents');
  } else if (operation === 'execute_tool') {
    extracted.toolArguments = firstString(a, ['tool_call.function.arguments']) || ioValue(a, 'input');
    extracted.toolResult = ioValue(a, 'output');
  } else if (operation === 'embeddings') {
    extracted.inputMessages = indexed(a, 'embedding.embeddings').map((e) => ({
      role: 'user',
      content: asString(e['embedding.text']),
    }));
  }
  return extracted;
}

export const openInference: ConventionMapping = {
  convention: 'openinference',
  operation: (span) => {
    const operation = operations[firstString(span.attributes, ['openinference.span.kind']).toUpperCase()];
    if (operation === 'chat' && isCompletionsCall(span.attributes)) return 'text_completion';
    return operation ?? null;
  },
  fields,
  extract,
};
