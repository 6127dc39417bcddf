/**
 * A scorer that asks an LLM judge behind an OpenAI-compatible
 * `/v1/chat/completions` endpoint. The judge is told to answer with JSON
 * `{"score": 0..1, "label"?: string, "explanation"?: string}`; a reply with only
 * a number in [0, 1] is accepted too.
 */
import { z } from 'zod';
import type { AsyncTextScorer, ScoreResult } from '../types.ts';
import { chatComplete, parseJsonVerdict } from './openai-chat.ts';

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

const verdictSchema = z.object({
  score: z.coerce.number().min(0).max(1),
  label: z.string().optional(),
  explanation: z.string().optional(),
});

/** The judge's verdict from its reply: a JSON object (possibly fenced), else a bare number. */
export function parseVerdict(content: string): z.infer<typeof verdictSchema> {
  const verdict = parseJsonVerdict(content, verdictSchema);
  if (verdict.ok) return verdict.value;
  const n = content.trim().match(/^(?:score\s*[:=]\s*)?(0(?:\.\d+)?|1(?:\.0+)?)\b/i);
  if (n) return { score: Number(n[1]) };
  throw new Error(`judge reply has no score: ${content.slice(0, 200)}`);
}

export function createJudgeScorer(options: JudgeScorerOptions): AsyncTextScorer {
  const threshold = options.threshold ?? 0.5;
  const version = options.version ?? `judge:${options.model}`;
  return {
    name: options.name,
    version,
    threshold,
    async score(text: string): Promise<ScoreResult> {
      const user = options.prompt.includes('{{text}}')
        ? options.prompt.replaceAll('{{text}}', text)
        : `${options.prompt}\n\n${text}`;
      const reply = await chatComplete(options, {
        system: SYSTEM,
        user,
        errorPrefix: `${options.name}: judge answered`,
      });
      const verdict = parseVerdict(reply.content);
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
