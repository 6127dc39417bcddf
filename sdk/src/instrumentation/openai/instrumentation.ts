import { type Attributes, context } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import * as A from '@oversight/conventions';
import type { ContentPolicy } from '../../content.ts';
import type { PriceTable } from '../../pricing.ts';
import { SDK_VERSION } from '../../version.ts';
import { invokeObserved } from '../api-promise.ts';
import { LlmCall, num, serverOf, type Telemetry, telemetryFor } from '../llm-span.ts';
import { inEmbeddingsStep } from '../step-context.ts';
import { tapStream } from '../stream-tap.ts';
import {
  chatInputMessages,
  chatRequestAttributes,
  chatStreamObserver,
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

export interface OversightInstrumentationConfig extends InstrumentationConfig {
  content?: ContentPolicy;
  prices?: PriceTable;
  /**
   * Ask for usage on streams the app did not ask usage for (`stream_options.include_usage`),
   * hiding the extra chunk from the app. Default true; turn off for OpenAI-compatible
   * servers that reject the option.
   */
  injectStreamUsage?: boolean;
}

type Obj = Record<string, unknown>;
type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Resource = { _client?: { baseURL?: unknown; constructor?: { name?: string } } };

/** The resource classes whose `create` the instrumentation wraps, found from the client class. */
export interface OpenAIClasses {
  chat?: { prototype: Obj };
  responses?: { prototype: Obj };
  embeddings?: { prototype: Obj };
}

export const OPENAI_SUPPORTED_VERSIONS = ['>=4.0.0 <8'];

/**
 * OpenTelemetry instrumentation of the `openai` package: chat completions
 * (plain, streamed, tool calls), the Responses API and embeddings, following
 * the GenAI semantic conventions. Patches the resource classes' prototypes,
 * so every client (including AzureOpenAI) created from the module is covered.
 */
export class OpenAIInstrumentation extends InstrumentationBase<OversightInstrumentationConfig> {
  constructor(config: OversightInstrumentationConfig = {}) {
    super('@oversight/instrumentation-openai', SDK_VERSION, config);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      'openai',
      OPENAI_SUPPORTED_VERSIONS,
      (moduleExports: unknown) => {
        this.patchClasses(classesFromModule(moduleExports));
        return moduleExports;
      },
      (moduleExports: unknown) => {
        if (moduleExports) this.unpatchClasses(classesFromModule(moduleExports));
      },
    );
  }

  telemetry(): Telemetry {
    return telemetryFor(this._config);
  }

  readonly #manual = new Set<OpenAIClasses>();

  /** Also undoes what `instrument(client)` patched, so a later init() starts clean. */
  override disable(): void {
    super.disable();
    for (const c of this.#manual) this.unpatchClasses(c);
    this.#manual.clear();
  }

  /** Patches the classes; `manual` ones (found from a client instance) are undone by disable(). */
  patchClasses(c: OpenAIClasses, manual = false): void {
    if (manual) this.#manual.add(c);
    const targets: Array<[Obj | undefined, (original: Fn) => Fn]> = [
      [c.chat?.prototype, (o) => this.#wrapChat(o)],
      [c.responses?.prototype, (o) => this.#wrapResponses(o)],
      [c.embeddings?.prototype, (o) => this.#wrapEmbeddings(o)],
    ];
    for (const [proto, wrapper] of targets) {
      if (proto && typeof proto.create === 'function') wrapOnce(this, proto, wrapper);
    }
  }

  unpatchClasses(c: OpenAIClasses): void {
    for (const proto of [c.chat?.prototype, c.responses?.prototype, c.embeddings?.prototype]) {
      if (proto && ownerOf(proto.create) === this) this._unwrap(proto as never, 'create' as never);
    }
  }

  #start(
    resource: Resource,
    operation: string,
    model: unknown,
    attributes: Attributes,
    content?: (call: LlmCall, into: Attributes) => void,
  ): LlmCall {
    const client = resource?._client;
    const provider =
      client?.constructor?.name === 'AzureOpenAI'
        ? A.GEN_AI_PROVIDER.azureAiOpenai
        : A.GEN_AI_PROVIDER.openai;
    return new LlmCall(this.tracer, this.telemetry(), {
      operation,
      provider,
      model: typeof model === 'string' ? model : undefined,
      server: serverOf(client?.baseURL),
      attributes,
      content,
    });
  }

  #wrapChat(original: Fn): Fn {
    const inst = this;
    return function createChatCompletion(this: unknown, ...args: unknown[]) {
      const body = args[0] as Obj;
      let call: LlmCall | undefined;
      let injected = false;
      try {
        if (body && typeof body === 'object') {
          const attributes = chatRequestAttributes(body);
          const opts = body.stream_options as Obj | undefined | null;
          if (body.stream === true && inst._config.injectStreamUsage !== false && !opts?.include_usage) {
            injected = true;
            attributes[A.ATTR_OVERSIGHT_STREAM_USAGE_INJECTED] = true;
          }
          // Everything known before the call goes in with the span's start attributes.
          call = inst.#start(this as Resource, A.GEN_AI_OPERATION.chat, body.model, attributes, (c, a) => {
            c.contentInto(a, A.ATTR_GEN_AI_INPUT_MESSAGES, () => chatInputMessages(c, body.messages));
            if (body.tools !== undefined)
              c.contentInto(a, A.ATTR_GEN_AI_TOOL_DEFINITIONS, () => toolDefinitions(body.tools));
          });
          if (injected) args[0] = { ...body, stream_options: { ...opts, include_usage: true } };
        }
      } catch {
        call?.end();
        call = undefined;
        args[0] = body;
      }
      if (!call) return original.apply(this, args);
      const c = call;
      const streamed = body.stream === true;
      return invokeObserved(
        c,
        () => original.apply(this, args),
        (result) =>
          streamed ? tapStream(result, chatStreamObserver(c, injected)) : recordChatCompletion(c, result),
      );
    };
  }

  #wrapResponses(original: Fn): Fn {
    const inst = this;
    return function createResponse(this: unknown, ...args: unknown[]) {
      const body = args[0] as Obj;
      let call: LlmCall | undefined;
      try {
        if (body && typeof body === 'object') {
          call = inst.#start(
            this as Resource,
            A.GEN_AI_OPERATION.chat,
            body.model,
            responsesRequestAttributes(body),
          );
          const c = call;
          c.content(A.ATTR_GEN_AI_INPUT_MESSAGES, () => responsesInputMessages(c, body.input));
          if (typeof body.instructions === 'string') {
            const instructions = body.instructions;
            c.content(A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, () => [
              { type: 'text', content: c.text(instructions) },
            ]);
          }
          c.content(A.ATTR_GEN_AI_TOOL_DEFINITIONS, () => toolDefinitions(body.tools));
        }
      } catch {
        call?.end();
        call = undefined;
      }
      if (!call) return original.apply(this, args);
      const c = call;
      const streamed = body.stream === true;
      return invokeObserved(
        c,
        () => original.apply(this, args),
        (result) => (streamed ? tapStream(result, responsesStreamObserver(c)) : recordResponse(c, result)),
      );
    };
  }

  #wrapEmbeddings(original: Fn): Fn {
    const inst = this;
    return function createEmbeddings(this: unknown, ...args: unknown[]) {
      if (inEmbeddingsStep(context.active())) return original.apply(this, args);
      const body = args[0] as Obj;
      let call: LlmCall | undefined;
      try {
        if (body && typeof body === 'object') {
          const attributes: A.AttributesLike = {};
          const dims = num(body.dimensions);
          if (dims !== undefined) attributes[A.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims;
          if (typeof body.encoding_format === 'string')
            attributes[A.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS] = [body.encoding_format];
          call = inst.#start(this as Resource, A.GEN_AI_OPERATION.embeddings, body.model, attributes);
        }
      } catch {
        call?.end();
        call = undefined;
      }
      if (!call) return original.apply(this, args);
      const c = call;
      return invokeObserved(
        c,
        () => original.apply(this, args),
        (result) => recordEmbeddings(c, result),
      );
    };
  }
}

const OWNER = Symbol.for('oversight.instrumentation.owner');

/** Which Oversight instrumentation wrapped this function, if any. */
export function ownerOf(fn: unknown): unknown {
  return typeof fn === 'function' ? (fn as unknown as Record<symbol, unknown>)[OWNER] : undefined;
}

/**
 * Wraps `proto.create` unless it is already wrapped: a wrapper of another
 * Oversight instrumentation instance (from an earlier init) is replaced, one
 * of another vendor is left alone rather than stripped.
 */
export function wrapOnce(inst: InstrumentationBase, proto: Obj, wrapper: (original: Fn) => Fn): void {
  const current = proto.create;
  const owner = ownerOf(current);
  if (owner === inst) return;
  if (owner === undefined && isWrapped(current)) return;
  const tagged = (original: Fn) => {
    const w = wrapper(original);
    Object.defineProperty(w, OWNER, { value: inst });
    return w;
  };
  if (owner !== undefined)
    (inst as unknown as { _unwrap(o: object, n: string): void })._unwrap(proto, 'create');
  (inst as unknown as { _wrap(o: object, n: string, w: unknown): void })._wrap(proto, 'create', tagged);
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
    responses: client.Responses as OpenAIClasses['responses'],
    embeddings: client.Embeddings as OpenAIClasses['embeddings'],
  };
}

/** The resource classes behind a client instance, for bundled code the module hooks cannot see. */
export function classesFromClient(client: unknown): OpenAIClasses {
  const c = client as { chat?: { completions?: object }; responses?: object; embeddings?: object } | null;
  const ctorOf = (o: object | undefined) =>
    o ? (Object.getPrototypeOf(o)?.constructor as { prototype: Obj }) : undefined;
  return {
    chat: ctorOf(c?.chat?.completions),
    responses: ctorOf(c?.responses),
    embeddings: ctorOf(c?.embeddings),
  };
}
