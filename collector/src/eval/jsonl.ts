/** JSONL data sets, each row validated by a zod schema as it is read. */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

export interface JsonlRow<T> {
  /** 1-based line number in the source, for ids and error messages. */
  line: number;
  row: T;
}

/** Rows of `content`; blank lines are skipped, a bad row throws naming `source:line` and the field. */
export function parseJsonl<S extends z.ZodType>(
  content: string,
  schema: S,
  source = 'input',
): JsonlRow<z.output<S>>[] {
  const rows: JsonlRow<z.output<S>>[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new Error(`${source}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `${source}:${i + 1}: ${issue?.path.join('.') || 'row'}: ${issue?.message ?? 'invalid row'}`,
      );
    }
    rows.push({ line: i + 1, row: parsed.data });
  }
  return rows;
}

export async function readJsonl<S extends z.ZodType>(
  file: string,
  schema: S,
): Promise<JsonlRow<z.output<S>>[]> {
  return parseJsonl(await readFile(file, 'utf8'), schema, file);
}
