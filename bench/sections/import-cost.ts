/**
 * What `import '@oversight/sdk/auto'` adds to an app's start: wall time to run
 * a script that imports `openai` and makes a client, and its RSS at the end,
 * with and without the SDK line. Measured on the packed install (the tarballs
 * in an app under os.tmpdir(), as users get it) and, for comparison, from the
 * repo's sources (type stripping, workspace links).
 *
 * The machine is shared and noisy, so: many rounds, bare and auto run back to
 * back in each (so load drifts hit both alike), and the added figures are the
 * median of the per-round differences, with their interquartile range beside
 * them to show how far to trust them. The wall time is split at the app's
 * first line ("ready": loading and running everything it imports) and its
 * 'exit' event ("exit": what runs after the last line, where pending GC work
 * and the SDK's beforeExit flush land); CPU is reported to both points.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  cleanEnv,
  installApp,
  nodeBinary,
  packWorkspaces,
  ROOT,
  repoVersion,
} from '../../test/package/packed-install.ts';
import { printTable } from '../report.ts';
import type { Figures, Section, SectionOptions } from '../section.ts';
import { median, quantile, round } from '../stats.ts';

const run = promisify(execFile);

const BODY = `import OpenAI from 'openai';
const readyMs = performance.now();
const client = new OpenAI({ apiKey: 'sk-bench', baseURL: 'http://127.0.0.1:9/v1' });
if (!client.chat.completions) throw new Error('no client');
const cpu = process.cpuUsage();
const rss = process.memoryUsage().rss;
process.on('exit', () => {
  const end = process.cpuUsage();
  process.stdout.write(JSON.stringify({
    rss, readyMs, exitMs: performance.now(),
    cpuMs: (cpu.user + cpu.system) / 1000, exitCpuMs: (end.user + end.system) / 1000,
  }));
});
`;

/**
 * Counts the module files a run loads (ESM and CommonJS alike: `registerHooks`
 * sees both), written to stderr as the process exits. A separate run from the
 * timed ones: the hook itself costs time.
 */
const COUNTER = `import { registerHooks } from 'node:module';
import { writeSync } from 'node:fs';
let files = 0;
registerHooks({ load(url, context, next) { if (url.startsWith('file:')) files++; return next(url, context); } });
process.on('exit', () => writeSync(2, \`oversight-files=\${files}\\n\`));
`;

function writeApps(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'bare.mjs'), BODY);
  writeFileSync(path.join(dir, 'auto.mjs'), `import '@oversight/sdk/auto';\n${BODY}`);
  writeFileSync(path.join(dir, 'count-files.mjs'), COUNTER);
}

async function filesLoaded(node: string, dir: string, file: string): Promise<number> {
  const { stderr } = await run(node, ['--import', './count-files.mjs', file], {
    cwd: dir,
    env: cleanEnv({ OVERSIGHT_ENDPOINT: 'http://127.0.0.1:9' }),
    timeout: 60_000,
  });
  const count = /oversight-files=(\d+)/.exec(stderr)?.[1];
  if (count === undefined) throw new Error(`no file count from ${file}: ${stderr}`);
  return Number(count);
}

/** One run's figures: ms = wall time of the whole process as its parent sees it. */
interface Sample {
  ms: number;
  rss: number;
  readyMs: number;
  exitMs: number;
  cpuMs: number;
  exitCpuMs: number;
}

async function once(node: string, dir: string, file: string): Promise<Sample> {
  const started = performance.now();
  const { stdout } = await run(node, [file], {
    cwd: dir,
    env: cleanEnv({ OVERSIGHT_ENDPOINT: 'http://127.0.0.1:9' }),
    timeout: 60_000,
  });
  const ms = performance.now() - started;
  return { ms, ...(JSON.parse(stdout) as Omit<Sample, 'ms'>) };
}

const KEYS = ['ms', 'readyMs', 'exitMs', 'cpuMs', 'exitCpuMs', 'rss'] as const;

/** Median and interquartile range of the per-round differences auto - bare. */
function added(bare: readonly Sample[], auto: readonly Sample[], key: (typeof KEYS)[number]) {
  const d = auto.map((a, i) => a[key] - (bare[i] as Sample)[key]);
  return { median: median(d), iqr: quantile(d, 0.75) - quantile(d, 0.25) };
}

export const importCost: Section = {
  name: 'import-cost',
  description: "startup time and RSS added by import '@oversight/sdk/auto' over a bare app importing openai",
  async run({ quick }: SectionOptions): Promise<Figures> {
    const rounds = quick ? 8 : 40;
    const loadBefore = os.loadavg()[0] ?? 0;
    const node = await nodeBinary(24);
    const work = mkdtempSync(path.join(os.tmpdir(), 'oversight-import-cost-'));
    try {
      const tarballs = (await packWorkspaces(path.join(work, 'tarballs'))).filter(
        (t) => t.name !== '@oversight/collector',
      );
      const packed = path.join(work, 'app');
      await installApp(packed, tarballs, [`openai@${repoVersion('openai')}`]);
      writeApps(packed);
      // Inside the repo, so @oversight/sdk resolves to the workspace's sources.
      const source = path.join(ROOT, '.bench', 'import-cost');
      writeApps(source);
      writeFileSync(path.join(source, 'package.json'), '{"private":true,"type":"module"}\n');

      const setups = [
        ['packed', packed],
        ['source', source],
      ] as const;
      const samples: Record<string, Sample[]> = {};
      for (const [where] of setups) for (const app of ['bare', 'auto']) samples[`${where}.${app}`] = [];
      // Two warm-ups each fill the OS file cache; then rounds of back-to-back pairs,
      // the pair's order alternating so neither side always runs second.
      for (let i = 0; i < 2; i++)
        for (const [, dir] of setups) for (const app of ['bare', 'auto']) await once(node, dir, `${app}.mjs`);
      for (let i = 0; i < rounds; i++) {
        for (const [where, dir] of setups) {
          const order = i % 2 ? ['auto', 'bare'] : ['bare', 'auto'];
          for (const app of order) samples[`${where}.${app}`]?.push(await once(node, dir, `${app}.mjs`));
        }
      }
      const loadAfter = os.loadavg()[0] ?? 0;
      const figures: Figures = {};
      const rows: (string | number)[][] = [];
      for (const [where, dir] of setups) {
        const bare = samples[`${where}.bare`] as Sample[];
        const auto = samples[`${where}.auto`] as Sample[];
        const mb = (s: Sample[]) => median(s.map((x) => x.rss)) / 2 ** 20;
        const wall = added(bare, auto, 'ms');
        const ready = added(bare, auto, 'readyMs');
        const cpu = added(bare, auto, 'cpuMs');
        const exitCpu = added(bare, auto, 'exitCpuMs');
        // What runs after the app's last line: 'exit' minus first line, auto minus bare.
        const tail = (s: Sample[]) => s.map((x) => ({ ...x, tailMs: x.exitMs - x.readyMs }));
        const exitTail = median(
          tail(auto).map((x, i) => x.tailMs - (tail(bare)[i] as { tailMs: number }).tailMs),
        );
        const rss = added(bare, auto, 'rss');
        figures[`${where}.added_cpu_ms`] = cpu.median;
        figures[`${where}.added_cpu_to_exit_ms`] = exitCpu.median;
        figures[`${where}.bare_ms`] = median(bare.map((x) => x.ms));
        figures[`${where}.auto_ms`] = median(auto.map((x) => x.ms));
        figures[`${where}.added_ms`] = wall.median;
        figures[`${where}.added_ms_iqr`] = wall.iqr;
        figures[`${where}.added_ready_ms`] = ready.median;
        figures[`${where}.added_exit_ms`] = exitTail;
        figures[`${where}.bare_rss_mb`] = mb(bare);
        figures[`${where}.auto_rss_mb`] = mb(auto);
        figures[`${where}.added_rss_mb`] = rss.median / 2 ** 20;
        // Files the SDK line adds: the same app with and without it.
        const addedFiles =
          (await filesLoaded(node, dir, 'auto.mjs')) - (await filesLoaded(node, dir, 'bare.mjs'));
        figures[`${where}.added_files`] = addedFiles;
        rows.push([
          where,
          round(median(bare.map((x) => x.ms)), 1),
          round(median(auto.map((x) => x.ms)), 1),
          `${round(wall.median, 1)} ±${round(wall.iqr / 2, 1)}`,
          round(ready.median, 1),
          round(exitTail, 1),
          round(cpu.median, 1),
          round(exitCpu.median, 1),
          round(mb(bare), 1),
          round(rss.median / 2 ** 20, 1),
          addedFiles,
        ]);
      }
      printTable(
        `import-cost: node ${(await run(node, ['--version'])).stdout.trim()}, ${rounds} rounds of back-to-back pairs, added = median of per-round differences (± half its IQR), load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} (goal: ≤ 60 ms, ≤ 20 MB added)`,
        [
          'install',
          'bare ms',
          'auto ms',
          '+ms',
          '+ready ms',
          '+exit ms',
          '+cpu ms',
          '+cpu to exit',
          'bare MB',
          '+MB',
          '+files',
        ],
        rows,
      );
      return figures;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
