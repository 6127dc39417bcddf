import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import * as A from '@oversight/conventions';
import { SDK_VERSION } from '../../version.ts';
import { invokeObserved } from '../api-promise.ts';
import { LlmCall, serverOf, type Telemetry, telemetryFor } from '../llm-span.ts';
import { type OversightInstrumentationConfig, ownerOf, wrapOnce } from '../openai/instrumentation.ts';
import { tapStream } from '../stream-tap.ts';
import {
  anthropicInputMessages,
  messageStreamObserver,
  messagesRequestAttributes,
  recordMessage,
  systemInstructions,
} from './messages.ts';

type Obj = Record<string, unknown>;
type Fn = (this: unknown, ...args: unknown[]) => unknown;

export const ANTHROPIC_SUPPORTED_VERSIONS = ['>=0.20.0 <2'];

/**
 * OpenTelemetry instrumentation of `@anthropic-ai/sdk`: `messages.create`,
 * plain, streamed (which `messages.stream()` also goes through) and with tool
 * use, following the GenAI semantic conventions.
 */
export interface AnthropicInstrumentationConfig extends OversightInstrumentationConfig {
  /** Keep the Anthropic SDK's own `anthropic.messages.create` spans as children of ours. Default false. */
  nativeSpans?: boolean;
}

export class AnthropicInstrumentation extends InstrumentationBase<AnthropicInstrumentationConfig> {
  constructor(config: AnthropicInstrumentationConfig = {}) {
    super('@oversight/instrumentation-anthropic', SDK_VERSION, config);
    // @anthropic-ai/sdk >= 1.x traces itself once a global provider exists, which
    // would put a second LLM span (and double token counts) under ours. Its
    // documented switch is read when a client is constructed; an explicit
    // setting by the app wins.
    if (!config.nativeSpans && process.env.ANTHROPIC_OPEN_TELEMETRY === undefined) {
      process.env.ANTHROPIC_OPEN_TELEMETRY = 'false';
    }
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      '@anthropic-ai/sdk',
      ANTHROPIC_SUPPORTED_VERSIONS,
      (moduleExports: unknown) => {
        this.patchMessages(messagesFromModule(moduleExports));
        return moduleExports;
      },
      (moduleExports: unknown) => {
        if (moduleExports) this.unpatchMessages(messagesFromModule(moduleExports));
      },
    );
  }

  telemetry(): Telemetry {
    return telemetryFor(this._config);
  }

  readonly #manual = new Set<{ prototype: Obj }>();

  /** Also undoes what `instrument(client)` patched, so a later init() starts clean. */
  override disable(): void {
    super.disable();
    for (const c of this.#manual) this.unpatchMessages(c);
    this.#manual.clear();
  }

  patchMessages(messagesClass: { prototype: Obj } | undefined, manual = false): void {
    const proto = messagesClass?.prototype;
    if (!messagesClass || !proto || typeof proto.create !== 'function') return;
    if (manual) this.#manual.add(messagesClass);
    wrapOnce(this, proto, (original: Fn) => this.#wrapCreate(original));
  }

  unpatchMessages(messagesClass: { prototype: Obj } | undefined): void {
    const proto = messagesClass?.prototype;
    if (proto && ownerOf(proto.create) === this) this._unwrap(proto as never, 'create' as never);
  }

  #wrapCreate(original: Fn): Fn {
    const inst = this;
    return function createMessage(this: unknown, ...args: unknown[]) {
      const body = args[0] as Obj;
      let call: LlmCall | undefined;
      try {
        if (body && typeof body === 'object') {
          const client = (this as { _client?: { baseURL?: unknown } })._client;
          call = new LlmCall(inst.tracer, inst.telemetry(), {
            operation: A.GEN_AI_OPERATION.chat,
            provider: A.GEN_AI_PROVIDER.anthropic,
            model: typeof body.model === 'string' ? body.model : undefined,
            server: serverOf(client?.baseURL),
            attributes: messagesRequestAttributes(body),
          });
          const c = call;
          c.content(A.ATTR_GEN_AI_INPUT_MESSAGES, () => anthropicInputMessages(c, body.messages));
          c.content(A.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, () => systemInstructions(c, body.system));
          c.content(A.ATTR_GEN_AI_TOOL_DEFINITIONS, () =>
            Array.isArray(body.tools)
              ? body.tools.map((t: Obj) => ({
                  type: typeof t.type === 'string' && t.type !== 'custom' ? t.type : 'function',
                  name: t.name,
                  description: t.description,
                  parameters: t.input_schema,
                }))
              : undefined,
          );
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
        (result) => (streamed ? tapStream(result, messageStreamObserver(c)) : recordMessage(c, result)),
      );
    };
  }
}

export function messagesFromModule(moduleExports: unknown): { prototype: Obj } | undefined {
  const m = moduleExports as Obj | undefined;
  const client = (m?.Anthropic ?? (m?.default as Obj | undefined)?.Anthropic ?? m?.default) as
    | Obj
    | undefined;
  return client?.Messages as { prototype: Obj } | undefined;
}

export function messagesFromClient(client: unknown): { prototype: Obj } | undefined {
  const messages = (client as { messages?: object } | null)?.messages;
  return messages ? (Object.getPrototypeOf(messages)?.constructor as { prototype: Obj }) : undefined;
}
