/**
 * LLM groundedness judge over any OpenAI-compatible `/v1/chat/completions`
 * endpoint. The reply must be JSON (parsed with zod); the judge's own token use
 * is returned, and its cost when a price is given, so deployments can see what
 * judging costs next to what it judges.
 */
import { z } from 'zod';

export interface LlmJudgeOptions {
  /** Base URL of the API, with or without `/v1`. */
  baseURL: string;
  model: string;
  apiKey?: string;
  /** USD per million input and output tokens, for the cost figure. */
  price?: { inputPerMTok: number; outputPerMTok: number };
  threshold?: number;
  timeoutMs?: number;
}

export interface LlmJudgeVerdict {
  score: number;
  label: 'grounded' | 'hallucinated';
  unsupported: string[];
  explanation: string;
  usage: { inputTokens: number; outputTokens: number; costUsd?: number };
  version: string;
}

const SYSTEM =
  'You check whether an answer is supported by the given context documents. ' +
  'A claim is supported only if the documents state it or it follows directly from them; ' +
  'changed numbers, names, dates, relations, negations and added qualifiers are unsupported. ' +
  'Saying the documents do not contain the answer is supported. ' +
  'Reply with only JSON: {"score": <0..1, 1 = fully supported>, "unsupported": [<unsupported claims>], "explanation": <one sentence>}.';

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
  usage: z
    .object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int() })
    .loose()
    .optional(),
});

const verdictSchema = z.object({
  score: z.coerce.number().min(0).max(1),
  unsupported: z.array(z.string()).default([]),
  explanation: z.string().default(''),
});

export function buildJudgePrompt(answer: string, context: readonly string[], question?: string): string {
  const docs = context.map((d, i) => `[${i + 1}] ${d}`).join('\n\n');
  return `${question ? `Question:\n${question}\n\n` : ''}Documents:\n${docs || '(none)'}\n\nAnswer:\n${answer}`;
}

/** The verdict from the judge's reply; a fenced or prefixed JSON object is accepted. */
export function parseJudgeReply(content: string): z.infer<typeof verdictSchema> {
  const json = content.match(/\{[\s\S]*\}/)?.[0];
  if (json === undefined) throw new Error(`judge reply is not JSON: ${content.slice(0, 200)}`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`judge reply is not JSON (${(err as Error).message}): ${content.slice(0, 200)}`);
  }
  const parsed = verdictSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(`judge reply: ${parsed.error.issues[0]?.message}: ${json.slice(0, 200)}`);
  return parsed.data;
}

export function createLlmJudge(options: LlmJudgeOptions) {
  const base = options.baseURL.replace(/\/+$/, '');
  const url = base.endsWith('/v1') ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
  const threshold = options.threshold ?? 0.5;
  const version = `llm-judge:${options.model}`;
  return {
    version,
    async judge(answer: string, context: readonly string[], question?: string): Promise<LlmJudgeVerdict> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: options.model,
          temperature: 0,
          response_format: { type: 'json_object' },
          messages: [
            { role: 'system', content: SYSTEM },
            { role: 'user', content: buildJudgePrompt(answer, context, question) },
          ],
        }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      if (!res.ok) throw new Error(`${version}: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const completion = completionSchema.parse(await res.json());
      const verdict = parseJudgeReply(completion.choices[0]?.message.content ?? '');
      const inputTokens = completion.usage?.prompt_tokens ?? 0;
      const outputTokens = completion.usage?.completion_tokens ?? 0;
      const usage: LlmJudgeVerdict['usage'] = { inputTokens, outputTokens };
      if (options.price)
        usage.costUsd =
          (inputTokens * options.price.inputPerMTok + outputTokens * options.price.outputPerMTok) / 1e6;
      return {
        score: verdict.score,
        label: verdict.score < threshold ? 'hallucinated' : 'grounded',
        unsupported: verdict.unsupported,
        explanation: verdict.explanation,
        usage,
        version,
      };
    },
  };
}
