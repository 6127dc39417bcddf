/**
 * `oversight export-preferences` over N thumbs on N generations (200k, or 50k
 * with --quick): KTO and DPO records per second and the process's peak RSS,
 * beside a same-run baseline that reads the same feedback rows with one plain
 * SELECT into /dev/null; then all three again on a 600k store, for how each
 * one's time and peak RSS grow with N. Each phase runs in its own process, so
 * every peak RSS is that phase's own; the exporter's should stay flat as N
 * grows (the store works on one slice of at most 50 000 llm_spans rows at a
 * time and streams it), the baseline's grows with N, and both exports' time
 * should grow linearly (DPO sorts by prompt once, in a work table).
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
  description:
    'export-preferences KTO/DPO over 200k thumbs: records/s and peak RSS vs a plain SELECT; again at 600k',
  async run({ quick }: SectionOptions): Promise<Figures> {
    // 200k keeps the section near a minute on a loaded 2-core machine; the growth run shows memory stays flat.
    const rows = quick ? 50_000 : 200_000;
    const growthRows = quick ? 0 : 600_000;
    const dir = await mkdtemp(path.join(tmpdir(), 'oversight-bench-export-'));
    try {
      const seed = await runPhase('seed', dir, rows);
      const results: [string, PhaseResult][] = [];
      for (const phase of ['baseline', 'kto', 'dpo']) results.push([phase, await runPhase(phase, dir, rows)]);
      const table = (n: number, seedMs: number, phases: [string, PhaseResult][]) =>
        printTable(
          `export: ${n.toLocaleString('en')} thumbs on as many generations (seeded in ${round(seedMs / 1000)} s; PII masking on)`,
          ['phase', 'records', 'seconds', 'feedback rows/s', 'records/s', 'peak RSS MB', '× baseline RSS'],
          phases.map(([phase, r]) => [
            phase === 'baseline'
              ? 'baseline: SELECT feedback FINAL → /dev/null'
              : `export --format ${phase} → /dev/null`,
            r.written,
            round(r.ms / 1000),
            Math.round(n / (r.ms / 1000)),
            Math.round(r.written / (r.ms / 1000)),
            r.peakRssMb,
            round(r.peakRssMb / (phases[0]?.[1].peakRssMb ?? r.peakRssMb)),
          ]),
        );
      table(rows, seed.ms, results);
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

      if (growthRows > 0) {
        // A second, larger store: the baseline's RSS grows with the rows, the exporter's should not.
        const growthDir = path.join(dir, 'growth');
        const growthSeed = await runPhase('seed', growthDir, growthRows);
        const growth: [string, PhaseResult][] = [];
        for (const phase of ['baseline', 'kto', 'dpo'])
          growth.push([phase, await runPhase(phase, growthDir, growthRows)]);
        table(growthRows, growthSeed.ms, growth);
        figures.growth_rows = growthRows;
        for (const [phase, r] of growth) {
          figures[`growth.${phase}.seconds`] = round(r.ms / 1000);
          figures[`growth.${phase}.peak_rss_mb`] = r.peakRssMb;
          const small = results.find(([p]) => p === phase)?.[1].peakRssMb ?? r.peakRssMb;
          figures[`growth.${phase}.peak_rss_growth_mb`] = r.peakRssMb - small;
        }
      }
      return figures;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
