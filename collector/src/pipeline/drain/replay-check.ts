import type { Row, Store } from '../../store/store.ts';
import { assertIdentifier, qualifiedTable } from '../../store/tables.ts';

/** Column names that identify a row of a table; undefined when the table has no such key. */
export type RowKey = (table: string) => readonly string[] | undefined;

export type KeyReader = Pick<Store, 'query' | 'database'>;

/**
 * Keys per existence query. Each query reads the key columns of the whole
 * table unless they lead its sort key (about 1-3 s for 10 M rows on chdb), so
 * a drain round's keys (up to some thousands of rows) go in one query.
 */
const KEYS_PER_QUERY = 20_000;

/**
 * The text ClickHouse's `toString` gives a key value, or null when a value's
 * text is not certain to match (floats, dates, nulls, objects): a table with
 * such a key is not checked.
 */
function keyText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return null;
}

/** Key texts of a row, or null when one of them cannot be compared. */
function rowKeyTexts(row: Row, columns: readonly string[]): string[] | null {
  const texts: string[] = [];
  for (const column of columns) {
    const text = keyText(row[column]);
    if (text === null) return null;
    texts.push(text);
  }
  return texts;
}

/** Unambiguous for any strings (a separator alone could appear inside a value). */
const joinKey = (texts: readonly string[]) => JSON.stringify(texts);

/**
 * The rows of `rows` whose key is not in `table` yet, or null when the rows
 * cannot be checked (a key value whose text is uncertain). Values are bound as
 * parallel `Array(String)` parameters, zipped server-side: both backends pass
 * those the same way, where nested arrays for `Array(Tuple(…))` are not.
 */
export async function rowsMissingFrom(
  reader: KeyReader,
  table: string,
  columns: readonly string[],
  rows: readonly Row[],
  keysPerQuery = KEYS_PER_QUERY,
): Promise<Row[] | null> {
  if (columns.length === 0) return null;
  for (const column of columns) assertIdentifier(column, 'column');
  const keyed: { row: Row; texts: string[]; key: string }[] = [];
  const unique = new Map<string, string[]>();
  for (const row of rows) {
    const texts = rowKeyTexts(row, columns);
    if (!texts) return null;
    const key = joinKey(texts);
    keyed.push({ row, texts, key });
    unique.set(key, texts);
  }

  const expressions = columns.map((column) => `toString(\`${column}\`)`);
  const left = columns.length === 1 ? (expressions[0] as string) : `tuple(${expressions.join(', ')})`;
  const right =
    columns.length === 1
      ? '{k0:Array(String)}'
      : `arrayZip(${columns.map((_, i) => `{k${i}:Array(String)}`).join(', ')})`;
  const sql =
    `SELECT DISTINCT ${expressions.map((e, i) => `${e} AS k${i}`).join(', ')} ` +
    `FROM ${qualifiedTable(reader.database, table)} WHERE ${left} IN ${right}`;

  const present = new Set<string>();
  const all = [...unique.values()];
  for (let start = 0; start < all.length; start += keysPerQuery) {
    const chunk = all.slice(start, start + keysPerQuery);
    const params: Record<string, string[]> = {};
    columns.forEach((_, i) => {
      params[`k${i}`] = chunk.map((texts) => texts[i] as string);
    });
    const found = await reader.query<Record<string, unknown>>(sql, { params });
    for (const hit of found) present.add(joinKey(columns.map((_, i) => String(hit[`k${i}`]))));
  }
  return keyed.filter((k) => !present.has(k.key)).map((k) => k.row);
}
