/**
 * One phase of the export benchmark in its own process, so each peak RSS is
 * that phase's alone: `seed` fills a data directory with N generations and N
 * thumbs (INSERT … SELECT inside the engine); `baseline` reads the same
 * feedback rows with one plain SELECT into /dev/null; `kto` / `dpo` run the
 * exporter into /dev/null. Argument: JSON `{ phase, dir, rows }`; answers over
 * IPC with `{ type: 'done', … }`.
 */
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { exportPreferences } from '../collector/src/export/export-preferences.ts';
import { openEmbeddedStore } from '../collector/src/store/index.ts';
import { processStats } from './process-stats.ts';

const { phase, dir, rows } = JSON.parse(process.argv[2] ?? '{}') as {
  phase: 'seed' | 'baseline' | 'kto' | 'dpo';
  dir: string;
  rows: number;
};

const store = await openEmbeddedStore({ dataDir: path.join(dir, 'data'), database: 'oversight', ttlDays: 0 });
const rssBefore = processStats().rssMb;
const started = performance.now();
let written = 0;
try {
  if (phase === 'seed') {
    await store.migrate();
    // One generation per feedback row; each prompt (number % (rows / 20)) is asked 20 times and its k-th answer
    // is disliked when k % 3 = 0, so every prompt has liked and disliked answers for DPO whatever N is.
    await store.command(`
      INSERT INTO llm_spans (project_id, timestamp, trace_id, span_id, operation, request_model, input_messages,
                             prompt_text, completion_text, groundedness, hallucinated)
      SELECT 'bench', now64(9) - toIntervalMicrosecond(number), lower(hex(MD5(toString(number)))),
             substring(lower(hex(MD5(concat('s', toString(number))))), 1, 16), 'chat', 'gpt-4o',
             concat('[{"role":"system","content":"Be brief."},{"role":"user","content":"How do I do task ',
                    toString(number % ${Math.max(1, Math.floor(rows / 20))}), ' in the app?"}]'),
             concat('How do I do task ', toString(number % ${Math.max(1, Math.floor(rows / 20))}), ' in the app?'),
             concat('Answer ', toString(number), ': open the menu, pick the option, confirm. Call 555-0100 if stuck.'),
             0.5 + (number % 50) / 100, number % 7 = 0
      FROM numbers(${rows})`);
    await store.command(`
      INSERT INTO feedback (id, project_id, timestamp, trace_id, span_id, user_id, kind, value)
      SELECT toString(number), 'bench', now64(9) - toIntervalMicrosecond(number), lower(hex(MD5(toString(number)))),
             substring(lower(hex(MD5(concat('s', toString(number))))), 1, 16), '', 'thumbs',
             if(intDiv(number, ${Math.max(1, Math.floor(rows / 20))}) % 3 = 0, 0, 1)
      FROM numbers(${rows})`);
    await store.command('OPTIMIZE TABLE feedback FINAL');
    written = rows;
  } else {
    const out = createWriteStream('/dev/null');
    if (phase === 'baseline') {
      const text = await store.queryText(
        `SELECT id, project_id, trace_id, span_id, kind, value FROM feedback FINAL WHERE project_id = 'bench'`,
        'JSONEachRow',
        { readonly: true },
      );
      written = text.split('\n').length - 1;
      out.write(text);
    } else {
      const summary = await exportPreferences(store, out, { format: phase, project: 'bench' });
      written = summary.written;
    }
    out.end();
  }
  const ms = performance.now() - started;
  const stats = processStats();
  process.send?.({
    type: 'done',
    ms,
    written,
    rssBeforeMb: rssBefore,
    peakRssMb: stats.peakRssMb,
    cpuMs: stats.cpuMs,
  });
} finally {
  await store.close();
}
process.disconnect?.();
