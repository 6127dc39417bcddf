/**
 * A scorer that asks an LLM judge behind an OpenAI-compatible
 * `/v1/chat/completions` endpoint. The judge is told to answer with JSON
 * `{"score": 0..1, "label"?: string, "explanation"?: string}`; a reply with only
 * a number in [0, 1] is accepted too.
 */
import { z } from 'zod';
import type { AsyncTextScorer, ScoreResult } from '../types.ts';

export interface JudgeScorerOptions {
  name: string;
  /** Base URL of the API, with or without `/v1` (e.g. `http://localhost:8000/v1`). */
  baseURL: string;
  model: string;
  apiKey?: string;
  /** Instruction for the judge; `{{text}}` is replaced by the scored text, else the text is appended. */
  prompt: string;
  threshold?: number;
  positiveLabel?: string;
  negativeLabel?: string;
  timeoutMs?: number;
  version?: string;
}

const SYSTEM =
  'You are a strict evaluator. Reply with only a JSON object {"score": <number from 0 to 1>, "label": <short label>, "explanation": <one sentence>}.';

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});
const verdictSchema = z.object({
  score: z.coerce.number().min(0).max(1),
  label: z.string().optional(),
  explanation: z.string().optional(),
});

function chatUrl(baseURL: string): string {
  const base = baseURL.replace(/\/+$/, '');
  return base.endsWith('/v1') ? `${base}/chat/completions` : `${base}/v1/chat/completions`;
}

/** The judge's verdict from its reply: a JSON object (possibly fenced), else a bare number. */
export function parseVerdict(content: string): z.infer<typeof verdictSchema> {
  const json = content.match(/\{[\s\S]*\}/)?.[0];
  if (json !== undefined) {
    try {
      const parsed = verdictSchema.safeParse(JSON.parse(json));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through to the bare-number form
    }
  }
  const n = content.trim().match(/^(?:score\s*[:=]\s*)?(0(?:\.\d+)?|1(?:\.0+)?)\b/i);
  if (n) return { score: Number(n[1]) };
  throw new Error(`judge reply has no score: ${content.slice(0, 200)}`);
}

export function createJudgeScorer(options: JudgeScorerOptions): AsyncTextScorer {
  const threshold = options.threshold ?? 0.5;
  const url = chatUrl(options.baseURL);
  const version = options.version ?? `judge:${options.model}`;
  return {
    name: options.name,
    version,
    threshold,
    async score(text: string): Promise<ScoreResult> {
      const user = options.prompt.includes('{{text}}')
        ? options.prompt.replaceAll('{{text}}', text)
        : `${options.prompt}\n\n${text}`;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          model: options.model,
          temperature: 0,
          messages: [
            { role: 'system', content: SYSTEM },
            { role: 'user', content: user },
          ],
        }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      if (!res.ok)
        throw new Error(
          `${options.name}: judge answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`,
        );
      const completion = completionSchema.parse(await res.json());
      const verdict = parseVerdict(completion.choices[0]?.message.content ?? '');
      const flagged = verdict.score >= threshold;
      return {
        name: options.name,
        score: verdict.score,
        label:
          verdict.label ?? (flagged ? (options.positiveLabel ?? 'flagged') : (options.negativeLabel ?? 'ok')),
        flagged,
        threshold,
        evidence: [
          {
            kind: 'judge',
            weight: verdict.score,
            ...(verdict.explanation ? { text: verdict.explanation } : {}),
          },
        ],
        explanation:
          verdict.explanation ?? `${options.name} ${verdict.score.toFixed(2)} from ${options.model}`,
        version,
      };
    },
  };
}
