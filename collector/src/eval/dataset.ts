/** Labelled JSONL rows for the eval and the trainer, validated as they are read. */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseJsonl } from './jsonl.ts';

export type EvalTask = 'pii' | 'jailbreak' | 'injection' | 'toxicity' | 'refusal';
export const EVAL_TASKS: readonly EvalTask[] = ['pii', 'jailbreak', 'injection', 'toxicity', 'refusal'];

/** The positive label of each task; every other label counts as negative. */
export const POSITIVE_LABEL: Record<EvalTask, string> = {
  pii: 'pii',
  jailbreak: 'jailbreak',
  injection: 'injection',
  toxicity: 'toxic',
  refusal: 'refusal',
};

const spanSchema = z.object({ start: z.number().int(), end: z.number().int(), entity_type: z.string() });

const rowSchema = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  text: z.string(),
  label: z.string(),
  item_id: z.union([z.string(), z.number()]).optional(),
  template_id: z.union([z.string(), z.number()]).optional(),
  spans: z.array(spanSchema.loose()).optional(),
});

export interface LabelledRow {
  id: string;
  text: string;
  label: string;
  positive: boolean;
  /** Rows sharing a group never straddle a cross-validation split. */
  group?: string;
  spans?: { start: number; end: number; entity_type: string }[];
}

export function parseRows(content: string, task: EvalTask, source = 'input'): LabelledRow[] {
  const positive = POSITIVE_LABEL[task];
  return parseJsonl(content, rowSchema, source).map(({ line, row: r }) => {
    const row: LabelledRow = {
      id: String(r.id ?? line),
      text: r.text,
      label: r.label,
      positive: r.label === positive,
    };
    const group = r.item_id ?? r.template_id;
    if (group !== undefined) row.group = String(group);
    if (r.spans) row.spans = r.spans.map((s) => ({ start: s.start, end: s.end, entity_type: s.entity_type }));
    return row;
  });
}

export async function readRows(file: string, task: EvalTask): Promise<LabelledRow[]> {
  return parseRows(await readFile(file, 'utf8'), task, file);
}
