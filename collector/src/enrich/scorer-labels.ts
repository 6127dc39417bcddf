import { TASK_SPECS, type TextScorer } from '@oversight/scorers';

/**
 * A scorer's two labels: the positive one for `score >= threshold`, the
 * negative one below. `TextScorer` does not name them, so they are taken from
 * the scorer when it carries `positiveLabel` / `negativeLabel`, else from the
 * task specs the shipped models were trained with, else learned from results
 * (a result's label is positive exactly when it is flagged), with an empty
 * text scored once as the negative example and the scorer's name as the
 * positive label until a flagged result shows the real one.
 */
export interface ScorerLabels {
  positive: string;
  negative: string;
}

interface Named {
  positiveLabel?: unknown;
  negativeLabel?: unknown;
}

function declared(scorer: TextScorer): Partial<ScorerLabels> {
  const own = scorer as TextScorer & Named;
  const spec = Object.values(TASK_SPECS).find((s) => s.scorerName === scorer.name);
  const pick = (value: unknown, fallback: string | undefined) =>
    typeof value === 'string' && value !== '' ? value : fallback;
  const positive = pick(own.positiveLabel, spec?.positiveLabel);
  const negative = pick(own.negativeLabel, spec?.negativeLabel);
  return { ...(positive ? { positive } : {}), ...(negative ? { negative } : {}) };
}

function probedNegative(scorer: TextScorer): string | undefined {
  try {
    const result = scorer.score('');
    return result.flagged ? undefined : result.label;
  } catch {
    return undefined;
  }
}

/**
 * Label bookkeeping for a set of scorers; `observe` every result so learned
 * labels stay right. The empty-text probe runs only when a label is asked for
 * and nothing better is known.
 */
export function createLabelBook(scorers: readonly TextScorer[]) {
  const byName = new Map(scorers.map((s) => [s.name, s]));
  const learned = new Map<string, Partial<ScorerLabels>>();
  const probed = new Set<string>();
  for (const scorer of scorers) learned.set(scorer.name, declared(scorer));
  return {
    observe(scorerName: string, label: string, flagged: boolean): void {
      const known = learned.get(scorerName);
      if (!known || label === '') return;
      if (flagged) known.positive = label;
      else known.negative = label;
    },
    labels(scorerName: string): ScorerLabels | undefined {
      const scorer = byName.get(scorerName);
      const known = learned.get(scorerName);
      if (!scorer || !known) return undefined;
      if (known.negative === undefined && !probed.has(scorerName)) {
        probed.add(scorerName);
        const negative = probedNegative(scorer);
        if (negative) known.negative = negative;
      }
      return { positive: known.positive ?? scorer.name, negative: known.negative ?? `not_${scorer.name}` };
    },
  };
}
