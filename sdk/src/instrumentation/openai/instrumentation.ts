import { type Attributes, context } from '@opentelemetry/api';
import * as A from '@oversight/conventions/attributes';
import {
  type CallPlan,
  type Obj,
  OversightInstrumentationBase,
  type OversightInstrumentationConfig,
  type PatchTarget,
} from '../base.ts';
import { type LlmCall, num, type StartOptions, serverOf } from '../llm-span.ts';
import { CLIENT_INSTRUMENTATION, inEmbeddingsStep } from '../step-context.ts';
import { requestSignal, tapStream } from '../stream-tap.ts';
import {
  chatInputMessages,
  chatRequestAttributes,
  chatStreamObserver,
  promptMessages,
  recordChatCompletion,
  toolDefinitions,
} from './chat.ts';
import { recordEmbeddings } from './embeddings.ts';
import {
  recordResponse,
  responsesInputMessages,
  responsesRequestAttributes,
  responsesStreamObserver,
} from './responses.ts';

type Resource = { _client?: { baseURL?: unknown; constructor?: { name?: string } } };

/** The resource classes whose `create` the instrumentation wraps, found from the client class. */
export interface OpenAIClasses {
  chat?: { prototype: Obj };
  /** The legacy text completions (`client.completions`). */
  completions?: { prototype: Obj };
  responses?: { prototype: Obj };
  embeddings?: { prototype: Obj };
}

export const OPENAI_SUPPORTED_VERSIONS = ['>=4.0.0 <8'];

/**
 * OpenTelemetry instrumentation of the `openai` package: chat completions
 * (plain, streamed, tool calls), legacy text completions, the Responses API
 * and embeddings, following
 * the GenAI semantic conventions. Patches the resource classes' prototypes,
 * so every client (including AzureOpenAI) created from the module is covered.
 */
export class OpenAIInstrumentation extends OversightInstrumentationBase<OpenAIClasses> {
  constructor(config: OversightInstrumentationConfig = {}) {
    super(CLIENT_INSTRUMENTATION.openai, config);
  }

  protected init() {
    return this.moduleDefinition('openai', OPENAI_SUPPORTED_VERSIONS);
  }

  protected classesFromModule(moduleExports: unknown): OpenAIClasses {
    return classesFromModule(moduleExports);
  }

  protected classesFromClient(client: unknown): OpenAIClasses {
    return classesFromClient(client);
  }

  protected targets(c: OpenAIClasses): PatchTarget[] {
    return [
      this.tracedMethod(c.chat?.prototype, 'create', 'openai chat.completions.create', (self, args) =>
        this.#chat(self, args),
      ),
      this.tracedMethod(c.completions?.prototype, 'create', 'openai completions.create', (self, args) =>
        this.#completions(self, args),
      ),
      this.tracedMethod(c.responses?.prototype, 'create', 'openai responses.create', (self, args) =>
        this.#responses(self, args),
      ),
      this.tracedMethod(c.embeddings?.prototype, 'create', 'openai embeddings.create', (self, args) =>
        this.#embeddings(self, args),
      ),
      this.streamHelperMethod(c.chat?.prototype, 'stream'),
      this.streamHelperMethod(c.chat?.prototype, 'runTools'),
      this.streamHelperMethod(c.responses?.prototype, 'stream'),
    ];
  }

  #start(
    resource: unknown,
    operation: string,
    model: unknown,
    attributes: Attributes,
    content?: (call: LlmCall, into: Attributes) => void,
  ): StartOptions {
    const client = (resource as Resource | null)?._client;
    const server = serverOf(client?.baseURL);
    return {
      operation,
      provider: providerOf(client, server?.address),
      model: typeof model === 'string' ? model : undefined,
      server,
      attributes,
      content,
    };
  }

  #chat(self: unknown, args: unknown[]): CallPlan | undefined {
    const body = args[0] as Obj;
    if (!body || typeof body !== 'object') return undefined;
    return this.#completionPlan(self, args, body, A.GEN_AI_OPERATION.chat, (c, a) => {
      c.contentInto(a, A.ATTR_GEN_AI_INPUT_MESSAGES, () => chatInputMessages(c, body.messages));
      if (body.tools !== undefined)
        c.contentInto(a, A.ATTR_GEN_AI_TOOL_DEFINITIONS, () => toolDefinitions(body.tools));
    });
  }

  /** Legacy text completions: the chat plan, with the prompt as the input and each choice's text as output. */
  #completions(self: unknown, args: unknown[]): CallPlan | undefined {
    const body = args[0] as Obj;
    if (!body || typeof body !== 'object') return undefined;
    return this.#completionPlan(self, args, body, A.GEN_AI_OPERATION.textCompletion, (c, a) =>
      c.contentInto(a, A.ATTR_GEN_AI_INPUT_MESSAGES, () => promptMessages(c, body.prompt)),
    );
  }

  /** Chat and text completions share their parameters, result and stream shapes. */
  #completionPlan(
    self: unknown,
    args: unknown[],
    body: Obj,
    operation: string,
    content: (call: LlmCall, into: Attributes) => void,
  ): CallPlan {
    const attributes = chatRequestAttributes(body);
    const opts = body.stream_options as Obj | undefined | null;
    const streamed = body.stream === true;
    const injected = streamed && this._config.injectStreamUsage !== false && !opts?.include_usage;
    if (injected) attributes[A.ATTR_OVERSIGHT_STREAM_USAGE_INJECTED] = true;
    // Everything known before the call goes in with the span's start attributes.
    const start = this.#start(self, operation, body.model, attributes, content);
    return {
      start,
      args: injected
        ? [{ ...body, stream_options: { ...opts, include_usage: true } }, ...args.slice(1)]
        : args,
      observe: (result, c) =>
        streamed
          ? tapStream(result, chatStreamObserver(c, injected), requestSignal(args))
          : recordChatCompletion(c, result),
    };
  }

  #responses(self: unknown, args: unknown[]): CallPlan | undefined {
    const body = args[0] as Obj;
    if (!body || typeof body !== 'object') return undefined;
    const start = this.#start(
      self,
      A.GEN_AI_OPERATION.chat,
      body.model,
      responsesRequestAttributes(body),
      (c, a) => {
        c.contentInto(a, A.ATTR_GEN_AI_INPUT_MESSAGES, () => responsesInputMessages(c, body.input));
        if (typeof body.instructions === 'string') {
          const instructions = body.instructions;
          c.contentInto(a, A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, () => [
            { type: 'text', content: c.text(instructions) },
          ]);
        }
        c.contentInto(a, A.ATTR_GEN_AI_TOOL_DEFINITIONS, () => toolDefinitions(body.tools));
      },
    );
    const streamed = body.stream === true;
    return {
      start,
      observe: (result, c) =>
        streamed
          ? tapStream(result, responsesStreamObserver(c), requestSignal(args))
          : recordResponse(c, result),
    };
  }

  #embeddings(self: unknown, args: unknown[]): CallPlan | undefined {
    // Inside the embed() helper its span is the step; a second one would count the call twice.
    if (inEmbeddingsStep(context.active())) return undefined;
    const body = args[0] as Obj;
    if (!body || typeof body !== 'object') return undefined;
    const attributes: A.AttributesLike = {};
    const dims = num(body.dimensions);
    if (dims !== undefined) attributes[A.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims;
    if (typeof body.encoding_format === 'string')
      attributes[A.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS] = [body.encoding_format];
    return {
      start: this.#start(self, A.GEN_AI_OPERATION.embeddings, body.model, attributes),
      observe: (result, c) => recordEmbeddings(c, result),
    };
  }
}

/**
 * Providers whose OpenAI-compatible API apps reach with the `openai` client,
 * by the host of its base URL. Provider names and hosts are the providers'
 * own (the GenAI conventions' well-known names).
 */
const COMPATIBLE_HOSTS: readonly [RegExp, string][] = [
  // Azure's public, US Government (.us) and China (.cn) clouds.
  [/\.(openai|cognitiveservices)\.azure\.(com|us|cn)$/, A.GEN_AI_PROVIDER.azureAiOpenai],
  [/^models\.inference\.ai\.azure\.com$|\.services\.ai\.azure\.com$/, A.GEN_AI_PROVIDER.azureAiInference],
  [/^generativelanguage\.googleapis\.com$/, A.GEN_AI_PROVIDER.gcpGemini],
  [/aiplatform\.googleapis\.com$/, A.GEN_AI_PROVIDER.gcpVertexAi],
  [/^api\.groq\.com$/, A.GEN_AI_PROVIDER.groq],
  [/^api\.deepseek\.com$/, A.GEN_AI_PROVIDER.deepseek],
  [/^api\.x\.ai$/, A.GEN_AI_PROVIDER.xAi],
  [/^api\.mistral\.ai$/, A.GEN_AI_PROVIDER.mistralAi],
  [/^api\.perplexity\.ai$/, A.GEN_AI_PROVIDER.perplexity],
  [/^api\.cohere\.(ai|com)$/, A.GEN_AI_PROVIDER.cohere],
];

/**
 * The provider a call goes to: Azure for the AzureOpenAI client, the host's
 * provider when the client is pointed at another provider's compatible API,
 * else OpenAI (a proxy, a local server: best knowledge, as the conventions ask).
 */
function providerOf(client: Resource['_client'], host: string | undefined): string {
  if (client?.constructor?.name === 'AzureOpenAI') return A.GEN_AI_PROVIDER.azureAiOpenai;
  const compatible = host && COMPATIBLE_HOSTS.find(([pattern]) => pattern.test(host));
  return compatible ? compatible[1] : A.GEN_AI_PROVIDER.openai;
}

/** The resource classes, from the module's exports (CJS object or ESM namespace). */
export function classesFromModule(moduleExports: unknown): OpenAIClasses {
  const m = moduleExports as Obj | undefined;
  const client = (m?.OpenAI ?? (m?.default as Obj | undefined)?.OpenAI ?? m?.default) as Obj | undefined;
  return classesFromClientClass(client);
}

export function classesFromClientClass(client: Obj | undefined): OpenAIClasses {
  if (!client) return {};
  const chat = client.Chat as Obj | undefined;
  return {
    chat: chat?.Completions as OpenAIClasses['chat'],
    completions: client.Completions as OpenAIClasses['completions'],
    responses: client.Responses as OpenAIClasses['responses'],
    embeddings: client.Embeddings as OpenAIClasses['embeddings'],
  };
}

/** The resource classes behind a client instance, for bundled code the module hooks cannot see. */
export function classesFromClient(client: unknown): OpenAIClasses {
  const c = client as {
    chat?: { completions?: object };
    completions?: object;
    responses?: object;
    embeddings?: object;
  } | null;
  const ctorOf = (o: object | undefined) =>
    o ? (Object.getPrototypeOf(o)?.constructor as { prototype: Obj }) : undefined;
  return {
    chat: ctorOf(c?.chat?.completions),
    completions: ctorOf(c?.completions),
    responses: ctorOf(c?.responses),
    embeddings: ctorOf(c?.embeddings),
  };
}
