/**
 * What `import '@oversight/sdk/auto'` adds to an app's start: wall time to run
 * a script that imports `openai` and makes a client, and its RSS at the end,
 * with and without the SDK line. Measured on the packed install (the tarballs
 * in an app under os.tmpdir(), as users get it) and, for comparison, from the
 * repo's sources (type stripping, workspace links). Runs are interleaved so
 * the machine's load hits both sides alike.
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
import { median, round } from '../stats.ts';

const run = promisify(execFile);

const BODY = `import OpenAI from 'openai';
const client = new OpenAI({ apiKey: 'sk-bench', baseURL: 'http://127.0.0.1:9/v1' });
if (!client.chat.completions) throw new Error('no client');
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss, cpuMs: (cpu.user + cpu.system) / 1000 }));
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

async function once(
  node: string,
  dir: string,
  file: string,
): Promise<{ ms: number; rss: number; cpuMs: number }> {
  const started = performance.now();
  const { stdout } = await run(node, [file], {
    cwd: dir,
    env: cleanEnv({ OVERSIGHT_ENDPOINT: 'http://127.0.0.1:9' }),
    timeout: 60_000,
  });
  const ms = performance.now() - started;
  const { rss, cpuMs } = JSON.parse(stdout) as { rss: number; cpuMs: number };
  return { ms, rss, cpuMs };
}

export const importCost: Section = {
  name: 'import-cost',
  description: "startup time and RSS added by import '@oversight/sdk/auto' over a bare app importing openai",
  async run({ quick }: SectionOptions): Promise<Figures> {
    const rounds = quick ? 5 : 15;
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
      const samples: Record<string, { ms: number[]; rss: number[]; cpu: number[] }> = {};
      for (const [where] of setups)
        for (const app of ['bare', 'auto']) samples[`${where}.${app}`] = { ms: [], rss: [], cpu: [] };
      // One warm-up each fills the OS file cache; then interleave.
      for (const [, dir] of setups) for (const app of ['bare', 'auto']) await once(node, dir, `${app}.mjs`);
      for (let i = 0; i < rounds; i++) {
        for (const [where, dir] of setups) {
          for (const app of ['bare', 'auto']) {
            const r = await once(node, dir, `${app}.mjs`);
            const s = samples[`${where}.${app}`] as { ms: number[]; rss: number[]; cpu: number[] };
            s.ms.push(r.ms);
            s.rss.push(r.rss);
            s.cpu.push(r.cpuMs);
          }
        }
      }
      const figures: Figures = {};
      const rows: (string | number)[][] = [];
      for (const [where, dir] of setups) {
        const bare = samples[`${where}.bare`] as { ms: number[]; rss: number[]; cpu: number[] };
        const auto = samples[`${where}.auto`] as { ms: number[]; rss: number[]; cpu: number[] };
        const bareMs = median(bare.ms);
        const autoMs = median(auto.ms);
        const bareMb = median(bare.rss) / 2 ** 20;
        const autoMb = median(auto.rss) / 2 ** 20;
        const bareCpu = median(bare.cpu);
        const autoCpu = median(auto.cpu);
        figures[`${where}.added_cpu_ms`] = autoCpu - bareCpu;
        figures[`${where}.bare_ms`] = bareMs;
        figures[`${where}.auto_ms`] = autoMs;
        figures[`${where}.added_ms`] = autoMs - bareMs;
        figures[`${where}.bare_rss_mb`] = bareMb;
        figures[`${where}.auto_rss_mb`] = autoMb;
        figures[`${where}.added_rss_mb`] = autoMb - bareMb;
        // Files the SDK line adds: the same app with and without it.
        const addedFiles =
          (await filesLoaded(node, dir, 'auto.mjs')) - (await filesLoaded(node, dir, 'bare.mjs'));
        figures[`${where}.added_files`] = addedFiles;
        rows.push([
          where,
          ...[bareMs, autoMs, autoMs - bareMs, autoCpu - bareCpu, bareMb, autoMb, autoMb - bareMb].map((n) =>
            round(n, 1),
          ),
          addedFiles,
        ]);
      }
      printTable(
        `import-cost: node ${(await run(node, ['--version'])).stdout.trim()}, median of ${rounds} interleaved runs, load average ${(os.loadavg()[0] ?? 0).toFixed(1)} (goal: ≤ 60 ms, ≤ 20 MB added)`,
        ['install', 'bare ms', 'auto ms', '+ms', '+cpu ms', 'bare MB', 'auto MB', '+MB', '+files'],
        rows,
      );
      return figures;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
