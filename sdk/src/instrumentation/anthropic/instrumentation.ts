import * as A from '@oversight/conventions/attributes';
import {
  type CallPlan,
  type Obj,
  OversightInstrumentationBase,
  type OversightInstrumentationConfig,
  type PatchTarget,
} from '../base.ts';
import { serverOf } from '../llm-span.ts';
import { CLIENT_INSTRUMENTATION } from '../step-context.ts';
import { requestSignal, tapStream } from '../stream-tap.ts';
import {
  anthropicInputMessages,
  messageStreamObserver,
  messagesRequestAttributes,
  recordMessage,
  systemInstructions,
} from './messages.ts';

export const ANTHROPIC_SUPPORTED_VERSIONS = ['>=0.20.0 <2'];

/** Whether `ANTHROPIC_OPEN_TELEMETRY=false` is ours rather than the app's. */
let switchedOffByUs = false;

/** What a client of @anthropic-ai/sdk >= 1.x holds of its own tracing. */
interface NativeTracing {
  _tracer?: unknown;
  /** The client's settled `openTelemetry` option (a getter), or where older 1.x keep it. */
  openTelemetry?: { tracerProvider?: unknown };
  _options?: { openTelemetry?: { tracerProvider?: unknown } };
}

export interface AnthropicInstrumentationConfig extends OversightInstrumentationConfig {
  /** Keep the Anthropic SDK's own `anthropic.messages.create` spans as children of ours. Default false. */
  nativeSpans?: boolean;
}

/** The classes whose `create` the instrumentation wraps. */
export interface AnthropicClasses {
  messages?: { prototype: Obj };
  /** `client.beta.messages`: the same call with beta features (tool runner, MCP servers, ...). */
  betaMessages?: { prototype: Obj };
}

/**
 * OpenTelemetry instrumentation of `@anthropic-ai/sdk`: `messages.create`,
 * plain, streamed (which `messages.stream()` also goes through) and with tool
 * use, following the GenAI semantic conventions.
 */
export class AnthropicInstrumentation extends OversightInstrumentationBase<
  AnthropicClasses,
  AnthropicInstrumentationConfig
> {
  constructor(config: AnthropicInstrumentationConfig = {}) {
    super(CLIENT_INSTRUMENTATION.anthropic, config);
    // @anthropic-ai/sdk >= 1.x traces itself once a global provider exists, which
    // would put a second LLM span (and double token counts) under ours. Its
    // documented switch is read when a client is constructed; an explicit
    // setting by the app wins.
    if (!config.nativeSpans && process.env.ANTHROPIC_OPEN_TELEMETRY === undefined) {
      process.env.ANTHROPIC_OPEN_TELEMETRY = 'false';
      switchedOffByUs = true;
    }
  }

  /**
   * Switches off the Anthropic SDK's own tracer on a client where its spans
   * would repeat ours: a client built before the switch above was set (an
   * app's module that creates its client at import time, before init()). It
   * is left on where the app asked for it: `nativeSpans`, the environment
   * variable set by the app, or a tracer provider of its own given to the
   * client (its spans go there, not beneath ours).
   */
  quietNativeTracer(client: unknown): void {
    const c = client as NativeTracing | null | undefined;
    if (!c?._tracer || this._config.nativeSpans) return;
    const env = process.env.ANTHROPIC_OPEN_TELEMETRY;
    if (!(env === undefined || (switchedOffByUs && env === 'false'))) return;
    const settled = c.openTelemetry ?? c._options?.openTelemetry;
    if (settled && typeof settled === 'object' && settled.tracerProvider !== undefined) return;
    c._tracer = undefined;
  }

  protected init() {
    return this.moduleDefinition('@anthropic-ai/sdk', ANTHROPIC_SUPPORTED_VERSIONS);
  }

  protected classesFromModule(moduleExports: unknown): AnthropicClasses {
    return {
      messages: messagesFromModule(moduleExports),
      betaMessages: betaMessagesFromModule(moduleExports),
    };
  }

  protected classesFromClient(client: unknown): AnthropicClasses {
    return {
      messages: messagesFromClient(client),
      betaMessages: messagesFromClient((client as { beta?: unknown } | null)?.beta),
    };
  }

  protected targets(c: AnthropicClasses): PatchTarget[] {
    return [
      this.tracedMethod(c.messages?.prototype, 'create', 'anthropic messages.create', (self, args) =>
        this.#messages(self, args),
      ),
      this.tracedMethod(c.betaMessages?.prototype, 'create', 'anthropic beta.messages.create', (self, args) =>
        this.#messages(self, args),
      ),
      this.streamHelperMethod(c.messages?.prototype, 'stream'),
      this.streamHelperMethod(c.betaMessages?.prototype, 'stream'),
    ];
  }

  #messages(self: unknown, args: unknown[]): CallPlan | undefined {
    const body = args[0] as Obj;
    if (!body || typeof body !== 'object') return undefined;
    const client = (self as { _client?: { baseURL?: unknown } } | null)?._client;
    // Before the call starts its own span: a client built before init() still has its tracer.
    this.quietNativeTracer(client);
    const streamed = body.stream === true;
    return {
      start: {
        operation: A.GEN_AI_OPERATION.chat,
        provider: providerOf(client),
        model: typeof body.model === 'string' ? body.model : undefined,
        server: serverOf(client?.baseURL),
        attributes: messagesRequestAttributes(body),
        content: (c, a) => {
          c.contentInto(a, A.ATTR_GEN_AI_INPUT_MESSAGES, () => anthropicInputMessages(c, body.messages));
          c.contentInto(a, A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, () => systemInstructions(c, body.system));
          c.contentInto(a, A.ATTR_GEN_AI_TOOL_DEFINITIONS, () =>
            Array.isArray(body.tools)
              ? body.tools.map((t: Obj) => ({
                  type: typeof t.type === 'string' && t.type !== 'custom' ? t.type : 'function',
                  name: t.name,
                  description: t.description,
                  parameters: t.input_schema,
                }))
              : undefined,
          );
        },
      },
      observe: (result, c) =>
        streamed
          ? tapStream(result, messageStreamObserver(c), requestSignal(args))
          : recordMessage(c, result),
    };
  }
}

/**
 * Bedrock's and Vertex AI's Anthropic clients share the Messages class, so
 * the client says which platform billed the call: by its class, or by its
 * host where a bundler renamed the class.
 */
function providerOf(client: { baseURL?: unknown; constructor?: { name?: string } } | undefined): string {
  const name = client?.constructor?.name;
  const host = typeof client?.baseURL === 'string' ? client.baseURL : '';
  if (name === 'AnthropicBedrock' || /\bbedrock-runtime\.[^/]*amazonaws\.com/.test(host))
    return A.GEN_AI_PROVIDER.awsBedrock;
  if (name === 'AnthropicVertex' || /aiplatform\.googleapis\.com/.test(host))
    return A.GEN_AI_PROVIDER.gcpVertexAi;
  return A.GEN_AI_PROVIDER.anthropic;
}

function clientClass(moduleExports: unknown): Obj | undefined {
  const m = moduleExports as Obj | undefined;
  return (m?.Anthropic ?? (m?.default as Obj | undefined)?.Anthropic ?? m?.default) as Obj | undefined;
}

export function messagesFromModule(moduleExports: unknown): { prototype: Obj } | undefined {
  return clientClass(moduleExports)?.Messages as { prototype: Obj } | undefined;
}

export function betaMessagesFromModule(moduleExports: unknown): { prototype: Obj } | undefined {
  const beta = clientClass(moduleExports)?.Beta as Obj | undefined;
  return beta?.Messages as { prototype: Obj } | undefined;
}

export function messagesFromClient(client: unknown): { prototype: Obj } | undefined {
  const messages = (client as { messages?: object } | null)?.messages;
  return messages ? (Object.getPrototypeOf(messages)?.constructor as { prototype: Obj }) : undefined;
}
