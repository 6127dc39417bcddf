/**
 * A support answerer with both guards in the request path:
 *   - `guard.input` blocks a prompt injection before it reaches the model;
 *   - `guard.output(answer, { context, question })` checks the answer against
 *     the articles it was written from, and an unsupported one is withheld:
 *     the user gets the article instead of a confident wrong number.
 * Every decision is a guardrail span in the trace, so the dashboards count
 * what was blocked and withheld.
 */
import { createGuard, workflow } from '@oversight/sdk';
import type OpenAI from 'openai';

export const ARTICLES: Record<string, string> = {
  shipping:
    'Standard shipping takes three to five business days. Express shipping arrives the next business day.',
  returns:
    'Items can be returned within 30 days with the receipt. Refunds reach your card within five business days.',
};

export const BLOCKED = "Sorry, I can't help with that request.";

export type Verdict = 'answered' | 'blocked' | 'withheld';

export interface Answer {
  verdict: Verdict;
  text: string;
  /** The sentences the output guard found unsupported, when it withheld the answer. */
  unsupported: string[];
}

export function createAnswerer(openai: OpenAI) {
  const guard = createGuard({
    name: 'support-guard',
    policyId: 'support-v1',
    input: { prompt_injection: { action: 'block' }, jailbreak: { action: 'block' } },
    // An answer its context does not support never reaches the user (the default only flags it).
    output: { groundedness: { action: 'block' } },
  });

  return async function answer(question: string, articleIds: string[]): Promise<Answer> {
    return workflow({ name: 'guarded-answer' }, async () => {
      const checked = guard.input(question);
      if (!checked.allowed) return { verdict: 'blocked', text: BLOCKED, unsupported: [] };
      const context = articleIds.map((id) => ARTICLES[id] ?? '').filter(Boolean);
      const completion = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: `Answer only from the context.\nContext: ${context.join('\n')}` },
          { role: 'user', content: checked.redacted },
        ],
      });
      const text = completion.choices[0]?.message.content ?? '';
      const shown = guard.output(text, { context, question: checked.redacted });
      const unsupported = shown.groundedness?.unsupported.map((u) => u.claim) ?? [];
      if (!shown.allowed) {
        return {
          verdict: 'withheld',
          text: `I'm not certain about that. From our help centre: ${context[0] ?? 'no article found.'}`,
          unsupported,
        };
      }
      return { verdict: 'answered', text: shown.redacted, unsupported };
    });
  };
}
