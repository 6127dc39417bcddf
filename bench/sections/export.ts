/**
 * `oversight export-preferences` over N thumbs on N generations (1M, or 100k
 * with --quick): KTO and DPO records per second and the process's peak RSS,
 * beside a same-run baseline that reads the same feedback rows with one plain
 * SELECT into /dev/null. Each phase runs in its own process, so every peak
 * RSS is that phase's own; the exporter's should stay flat as N grows (the
 * store works on one slice of at most 50 000 rated traces at a time and
 * streams it), the baseline's grows with N. Goal: within 1.5× the baseline.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from '../report.ts';
import type { Figures, Section, SectionOptions } from '../section.ts';
import { round } from '../stats.ts';

interface PhaseResult {
  ms: number;
  written: number;
  rssBeforeMb: number;
  peakRssMb: number;
  cpuMs: number;
}

function runPhase(phase: string, dir: string, rows: number): Promise<PhaseResult> {
  const child = fork(
    fileURLToPath(new URL('../export-child.ts', import.meta.url)),
    [JSON.stringify({ phase, dir, rows })],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    child.on('message', (m: PhaseResult & { type: string }) => {
      if (m.type === 'done') resolve(m);
    });
    child.on('exit', (code) =>
      reject(new Error(`export ${phase} child exited with code ${code} before reporting`)),
    );
  });
}

export const exportSection: Section = {
  name: 'export',
  description: 'export-preferences KTO/DPO over 1M thumbs: records/s and peak RSS vs a plain SELECT',
  async run({ quick }: SectionOptions): Promise<Figures> {
    const rows = quick ? 100_000 : 1_000_000;
    const dir = await mkdtemp(path.join(tmpdir(), 'oversight-bench-export-'));
    try {
      const seed = await runPhase('seed', dir, rows);
      const results: [string, PhaseResult][] = [];
      for (const phase of ['baseline', 'kto', 'dpo']) results.push([phase, await runPhase(phase, dir, rows)]);
      printTable(
        `export: ${rows.toLocaleString('en')} thumbs on as many generations (seeded in ${round(seed.ms / 1000)} s; PII masking on)`,
        ['phase', 'records', 'seconds', 'feedback rows/s', 'records/s', 'peak RSS MB', '× baseline RSS'],
        results.map(([phase, r]) => [
          phase === 'baseline'
            ? 'baseline: SELECT feedback FINAL → /dev/null'
            : `export --format ${phase} → /dev/null`,
          r.written,
          round(r.ms / 1000),
          Math.round(rows / (r.ms / 1000)),
          Math.round(r.written / (r.ms / 1000)),
          r.peakRssMb,
          round(r.peakRssMb / (results[0]?.[1].peakRssMb ?? r.peakRssMb)),
        ]),
      );
      const figures: Figures = { rows };
      for (const [phase, r] of results) {
        figures[`${phase}.seconds`] = round(r.ms / 1000);
        figures[`${phase}.feedback_rows_per_s`] = Math.round(rows / (r.ms / 1000));
        figures[`${phase}.records`] = r.written;
        figures[`${phase}.peak_rss_mb`] = r.peakRssMb;
      }
      const baselineRss = results[0]?.[1].peakRssMb ?? 0;
      for (const [phase, r] of results.slice(1))
        figures[`${phase}.peak_rss_vs_baseline`] = round(r.peakRssMb / baselineRss);
      return figures;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
