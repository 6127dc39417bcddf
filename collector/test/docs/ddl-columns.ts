/**
 * Table and column names read straight from the DDL templates, so the doc
 * test notices a column added to a `.sql` file even before anyone migrates.
 * Nested columns come out as ClickHouse names them (`Events.Name`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS \{\{db\}\}\.\{\{local ([a-z_]+)\}\}/;
const ALTER_TABLE = /^ALTER TABLE \{\{db\}\}\.\{\{local ([a-z_]+)\}\}/;
const ADD_COLUMN = /^\s+ADD COLUMN IF NOT EXISTS ([A-Za-z_][A-Za-z0-9_]*)\s/;
const COLUMN = /^\s+([A-Za-z_][A-Za-z0-9_]*)\s+\S/;
const NOT_COLUMNS = new Set(['INDEX', 'PROJECTION', 'CONSTRAINT']);

export function ddlColumns(ddlDir: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  for (const file of readdirSync(ddlDir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    let table: string | null = null;
    let nested: string | null = null;
    let altered: string | null = null;
    for (const line of readFileSync(join(ddlDir, file), 'utf8').split('\n')) {
      if (line.trimStart().startsWith('--')) continue;
      // A later migration's `ADD COLUMN`s append to the table, as the engine does.
      const alter = ALTER_TABLE.exec(line);
      if (alter) {
        altered = alter[1] as string;
        continue;
      }
      if (altered !== null) {
        const added = ADD_COLUMN.exec(line);
        if (added) tables.get(altered)?.push(added[1] as string);
        if (!added || line.trimEnd().endsWith(';')) altered = null;
        continue;
      }
      const create = CREATE_TABLE.exec(line);
      if (create) {
        table = create[1] as string;
        tables.set(table, []);
        continue;
      }
      if (table === null) continue;
      if (/^\)/.test(line)) {
        table = null;
        continue;
      }
      if (nested !== null && /^\s+\)/.test(line)) {
        nested = null;
        continue;
      }
      const column = COLUMN.exec(line);
      if (!column || NOT_COLUMNS.has(column[1] as string)) continue;
      const name = column[1] as string;
      if (nested !== null) {
        tables.get(table)?.push(`${nested}.${name}`);
      } else if (/\sNested\s*\($/.test(line.trimEnd())) {
        nested = name;
      } else {
        tables.get(table)?.push(name);
      }
    }
  }
  return tables;
}
