/**
 * Names older emitters still write and the collector still reads: GenAI
 * conventions ≤ 1.36 (`gen_ai.system`, `prompt_tokens`, per-message events)
 * and OpenLLMetry's flattened `gen_ai.prompt.{i}.*`. The SDK never writes them.
 */

export const ATTR_GEN_AI_SYSTEM = 'gen_ai.system';
export const ATTR_GEN_AI_USAGE_PROMPT_TOKENS = 'gen_ai.usage.prompt_tokens';
export const ATTR_GEN_AI_USAGE_COMPLETION_TOKENS = 'gen_ai.usage.completion_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_LEGACY = 'gen_ai.usage.cache_read_input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_LEGACY =
  'gen_ai.usage.cache_creation_input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_TOKENS_LEGACY = 'gen_ai.usage.reasoning_tokens';
export const ATTR_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';

/** Event message bodies nest under this key in some emitters. */
export const ATTR_GEN_AI_EVENT_CONTENT = 'gen_ai.event.content';
export const EVENT_GEN_AI_SYSTEM_MESSAGE = 'gen_ai.system.message';
export const EVENT_GEN_AI_USER_MESSAGE = 'gen_ai.user.message';
export const EVENT_GEN_AI_ASSISTANT_MESSAGE = 'gen_ai.assistant.message';
export const EVENT_GEN_AI_TOOL_MESSAGE = 'gen_ai.tool.message';
export const EVENT_GEN_AI_CHOICE = 'gen_ai.choice';
export const EVENT_GEN_AI_CONTENT_PROMPT = 'gen_ai.content.prompt';
export const EVENT_GEN_AI_CONTENT_COMPLETION = 'gen_ai.content.completion';

/** Prompt/completion: an attribute on the content events, a flattened prefix in OpenLLMetry. */
export const ATTR_GEN_AI_PROMPT = 'gen_ai.prompt';
export const ATTR_GEN_AI_COMPLETION = 'gen_ai.completion';

/**
 * The Vercel AI SDK's own `ai.*` attributes that carry prompt, answer or tool
 * text (its telemetry before `@ai-sdk/otel`'s GenAI names).
 */
export const AI_SDK_CONTENT_ATTRIBUTES = [
  'ai.prompt',
  'ai.prompt.messages',
  'ai.response.text',
  'ai.response.object',
  'ai.response.toolCalls',
  'ai.toolCall.args',
  'ai.toolCall.result',
  // embed/embedMany's input texts, rerank's documents, and the model's reasoning text.
  'ai.value',
  'ai.values',
  'ai.documents',
  'ai.response.reasoning',
] as const;
