import { getOversight } from '../init.ts';
import { safely } from '../safe.ts';
import { AnthropicInstrumentation } from './anthropic/instrumentation.ts';
import { OpenAIInstrumentation } from './openai/instrumentation.ts';

let fallbackOpenAI: OpenAIInstrumentation | undefined;
let fallbackAnthropic: AnthropicInstrumentation | undefined;

/**
 * Instruments one client where module hooks cannot reach it (bundlers such as
 * Next.js or esbuild inline `openai` and `@anthropic-ai/sdk`): patches the
 * resource classes behind the instance, so every client of that bundle copy is
 * covered. Returns the client unchanged in type and identity; never throws.
 *
 *     const openai = instrument(new OpenAI());
 */
export function instrument<T>(client: T): T {
  safely(() => {
    const c = client as { chat?: { completions?: unknown }; messages?: unknown } | null;
    if (!c || typeof c !== 'object') return;
    if (c.chat?.completions) openaiInstrumentation().patchClient(c);
    else if (c.messages) {
      const anthropic = anthropicInstrumentation();
      anthropic.patchClient(c);
      // A client built before init() resolved its own tracer; ours replaces it unless the app chose it.
      anthropic.quietNativeTracer(c);
    }
  }, undefined);
  return client;
}

function openaiInstrumentation(): OpenAIInstrumentation {
  const registered = getOversight()?.instrumentations.find((i) => i instanceof OpenAIInstrumentation);
  if (registered) return registered as OpenAIInstrumentation;
  fallbackOpenAI ??= new OpenAIInstrumentation({ enabled: false });
  return fallbackOpenAI;
}

function anthropicInstrumentation(): AnthropicInstrumentation {
  const registered = getOversight()?.instrumentations.find((i) => i instanceof AnthropicInstrumentation);
  if (registered) return registered as AnthropicInstrumentation;
  fallbackAnthropic ??= new AnthropicInstrumentation({ enabled: false });
  return fallbackAnthropic;
}
