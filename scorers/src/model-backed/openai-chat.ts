/**
 * The one request the LLM judges make: a temperature-0 system + user turn to an
 * OpenAI-compatible `/v1/chat/completions` endpoint, and the JSON verdict read
 * back out of the reply.
 */
import { z } from 'zod';

export interface ChatEndpoint {
  /** Base URL of the API, with or without `/v1`. */
  baseURL: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
}

export interface ChatReply {
  content: string;
  usage?: { inputTokens: number; outputTokens: number };
}

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  // A malformed usage block costs the token figures, not the verdict.
  usage: z
    .object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int() })
    .loose()
    .optional()
    .catch(undefined),
});

export function chatCompletionsUrl(baseURL: string): string {
  const base = baseURL.replace(/\/+$/, '');
  return base.endsWith('/v1') ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
}

/**
 * Sends one exchange; `errorPrefix` starts the message of an HTTP error so
 * each judge names itself. `jsonMode` asks for `response_format: json_object`.
 */
export async function chatComplete(
  endpoint: ChatEndpoint,
  turn: { system: string; user: string; jsonMode?: boolean; errorPrefix: string },
): Promise<ChatReply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  const res = await fetch(chatCompletionsUrl(endpoint.baseURL), {
    method: 'POST',
    headers,
    body: JSON.stringify({
      model: endpoint.model,
      temperature: 0,
      ...(turn.jsonMode ? { response_format: { type: 'json_object' } } : {}),
      messages: [
        { role: 'system', content: turn.system },
        { role: 'user', content: turn.user },
      ],
    }),
    signal: AbortSignal.timeout(endpoint.timeoutMs ?? 30_000),
  });
  if (!res.ok) throw new Error(`${turn.errorPrefix} HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const completion = completionSchema.parse(await res.json());
  const reply: ChatReply = { content: completion.choices[0]?.message.content ?? '' };
  if (completion.usage)
    reply.usage = {
      inputTokens: completion.usage.prompt_tokens,
      outputTokens: completion.usage.completion_tokens,
    };
  return reply;
}

export type JsonVerdict<T> = { ok: true; value: T } | { ok: false; error: string };

/** The first `{…}` of a reply (judges fence or prefix it), parsed by `schema`; says why when it cannot. */
export function parseJsonVerdict<S extends z.ZodType>(content: string, schema: S): JsonVerdict<z.output<S>> {
  const json = content.match(/\{[\s\S]*\}/)?.[0];
  if (json === undefined) return { ok: false, error: `judge reply is not JSON: ${content.slice(0, 200)}` };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    return {
      ok: false,
      error: `judge reply is not JSON (${(err as Error).message}): ${content.slice(0, 200)}`,
    };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    return { ok: false, error: `judge reply: ${parsed.error.issues[0]?.message}: ${json.slice(0, 200)}` };
  return { ok: true, value: parsed.data };
}
