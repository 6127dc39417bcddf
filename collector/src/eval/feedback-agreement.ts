/**
 * `oversight eval --task feedback-agreement`: how well each automatic scorer
 * agrees with users' thumbs, read from the `feedback_agreement` view (counts
 * per project, model, topic and scorer) and re-aggregated at the grain asked
 * for, so intervals are computed on the summed counts rather than averaged.
 */
import { z } from 'zod';
import { wilson } from '../enrich/wilson.ts';
import type { Store } from '../store/store.ts';
import { assertIdentifier } from '../store/tables.ts';

export const AGREEMENT_GROUPS = ['model', 'topic'] as const;
export type AgreementGroup = (typeof AGREEMENT_GROUPS)[number];

export interface AgreementOptions {
  project?: string;
  /** Split further than project × scorer. */
  by?: AgreementGroup[];
}

const CountsSchema = z.object({
  project_id: z.string(),
  scorer: z.string(),
  model: z.string().optional(),
  topic_id: z.coerce.string().optional(),
  rated: z.coerce.number(),
  flagged: z.coerce.number(),
  thumbs_down: z.coerce.number(),
  flagged_down: z.coerce.number(),
  passed_up: z.coerce.number(),
});

export interface AgreementRow extends z.infer<typeof CountsSchema> {
  agreement: number;
  /** 95 % Wilson interval of the agreement rate. */
  low: number;
  high: number;
  /** Share of flagged answers users thumbed down; null when the scorer never fired. */
  precision: number | null;
  /** Share of thumbed-down answers the scorer flagged; null with no thumbs-down. */
  recall: number | null;
  /** Cohen's kappa: agreement beyond chance; null when chance agreement is total. */
  kappa: number | null;
}

export function agreementOf(counts: z.infer<typeof CountsSchema>): AgreementRow {
  const { rated: n, flagged, thumbs_down: down, flagged_down: both, passed_up: neither } = counts;
  const agreement = (both + neither) / n;
  const chance = (flagged / n) * (down / n) + (1 - flagged / n) * (1 - down / n);
  return {
    ...counts,
    agreement,
    ...wilson(both + neither, n),
    precision: flagged === 0 ? null : both / flagged,
    recall: down === 0 ? null : both / down,
    kappa: chance >= 1 ? null : (agreement - chance) / (1 - chance),
  };
}

export async function feedbackAgreement(
  store: Store,
  options: AgreementOptions = {},
): Promise<AgreementRow[]> {
  const db = `\`${assertIdentifier(store.database, 'database')}\``;
  const by = new Set(options.by ?? []);
  const keys = [
    'project_id',
    'scorer',
    ...(by.has('model') ? ['model'] : []),
    ...(by.has('topic') ? ['topic_id'] : []),
  ];
  const rows = await store.query(
    `SELECT ${keys.join(', ')},
            sum(rated) AS rated, sum(flagged) AS flagged, sum(thumbs_down) AS thumbs_down,
            sum(flagged_down) AS flagged_down, sum(passed_up) AS passed_up
     FROM ${db}.feedback_agreement
     WHERE {project:String} = '' OR project_id = {project:String}
     GROUP BY ${keys.join(', ')}
     ORDER BY ${keys.join(', ')}`,
    { params: { project: options.project ?? '' }, readonly: true },
  );
  return rows.map((row) => agreementOf(CountsSchema.parse(row)));
}

const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)} %`);

export function formatAgreementTable(rows: AgreementRow[]): string {
  if (rows.length === 0)
    return 'no rated generations with scores yet (needs thumbs feedback on scored LLM spans)';
  const header = [
    'project',
    'scorer',
    'model',
    'topic',
    'rated',
    'flagged',
    'thumbs↓',
    'agreement (95 % CI)',
    'precision',
    'recall',
    'kappa',
  ];
  const lines = rows.map((r) => [
    r.project_id,
    r.scorer,
    r.model ?? '*',
    r.topic_id ?? '*',
    String(r.rated),
    String(r.flagged),
    String(r.thumbs_down),
    `${pct(r.agreement)} (${pct(r.low)}–${pct(r.high)})`,
    pct(r.precision),
    pct(r.recall),
    r.kappa === null ? '—' : r.kappa.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...lines.map(fmt)].join('\n');
}
