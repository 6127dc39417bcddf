import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Config } from './config.ts';
import { controlFileFor, openConfiguredStore } from './service.ts';

/**
 * `oversight sql`: read-only SQL for analysts. Against an embedded data dir
 * that a running collector holds (chdb allows one process per data dir), the
 * query goes through that collector, authorised by the token it left beside
 * its log; otherwise the store is opened directly. Either way the store runs
 * it with `readonly=1`.
 */
const FORMATS = { table: 'PrettyCompactMonoBlock', json: 'JSONEachRow', csv: 'CSVWithNames' } as const;
export type SqlOutput = keyof typeof FORMATS;

const ControlFileSchema = z.object({ url: z.string(), token: z.string(), pid: z.number().int() });

async function runningCollector(config: Config) {
  try {
    const control = ControlFileSchema.parse(JSON.parse(await readFile(controlFileFor(config), 'utf8')));
    process.kill(control.pid, 0); // throws when the process is gone: a stale file from a crash
    return control;
  } catch {
    return null;
  }
}

export async function runReadOnlySql(
  config: Config,
  query: string,
  output: SqlOutput = 'table',
): Promise<string> {
  const format = FORMATS[output];
  const collector = config.clickhouseUrl ? null : await runningCollector(config);
  if (collector) {
    const response = await fetch(`${collector.url}/internal/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${collector.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query, format }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(text);
    return text;
  }
  const store = await openConfiguredStore(config);
  try {
    return await store.queryText(query, format, { readonly: true });
  } finally {
    await store.close();
  }
}
