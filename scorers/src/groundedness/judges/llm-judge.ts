/**
 * LLM groundedness judge over any OpenAI-compatible `/v1/chat/completions`
 * endpoint. The reply must be JSON (parsed with zod); the judge's own token use
 * is returned, and its cost when a price is given, so deployments can see what
 * judging costs next to what it judges.
 */
import { z } from 'zod';
import { chatComplete, parseJsonVerdict } from '../../model-backed/openai-chat.ts';

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
  const verdict = parseJsonVerdict(content, verdictSchema);
  if (!verdict.ok) throw new Error(verdict.error);
  return verdict.value;
}

export function createLlmJudge(options: LlmJudgeOptions) {
  const threshold = options.threshold ?? 0.5;
  const version = `llm-judge:${options.model}`;
  return {
    version,
    async judge(answer: string, context: readonly string[], question?: string): Promise<LlmJudgeVerdict> {
      const reply = await chatComplete(options, {
        system: SYSTEM,
        user: buildJudgePrompt(answer, context, question),
        jsonMode: true,
        errorPrefix: `${version}:`,
      });
      const verdict = parseJudgeReply(reply.content);
      const inputTokens = reply.usage?.inputTokens ?? 0;
      const outputTokens = reply.usage?.outputTokens ?? 0;
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
