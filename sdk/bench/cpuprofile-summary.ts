/**
 * Self time per function and per source file of a V8 `.cpuprofile`, largest
 * first, so a profile of the call path reads in one screen:
 *
 *   node sdk/bench/cpuprofile-summary.ts file.cpuprofile [--top 40] [--filter instrumentation]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, filter: { type: 'string' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: cpuprofile-summary.ts FILE.cpuprofile');
const profile = profileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));

const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const label = (f: { functionName: string; url: string; lineNumber: number }) =>
  `${f.functionName || '(anonymous)'} ${f.url
    .replace(/^.*\/node_modules\//, '~/')
    .replace(/^file:\/\/.*?\/(sdk|examples)\//, '$1/')}:${f.lineNumber + 1}`;
/** Time with the function anywhere on the stack (counted once per sample). */
const inclusive = new Map<string, number>();
const perFn = new Map<string, number>();
const perFile = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const f = byId.get(id);
  if (!f) return;
  total += dt;
  const short = f.url.replace(/^.*\/node_modules\//, '~/').replace(/^file:\/\/.*?\/(sdk|examples)\//, '$1/');
  const fn = `${f.functionName || '(anonymous)'} ${short}:${f.lineNumber + 1}`;
  perFn.set(fn, (perFn.get(fn) ?? 0) + dt);
  const where = short ? short.replace(/^(~\/(@[^/]+\/)?[^/]+)\/.*$/, '$1') : f.functionName;
  perFile.set(where, (perFile.get(where) ?? 0) + dt);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at);
    if (!frame) break;
    const k = label(frame);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
  }
});

const top = Number(values.top);
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  const rows = [...m.entries()]
    .filter(([k]) => !values.filter || k.includes(values.filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [k, us] of rows)
    console.log(
      `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`,
    );
};
console.log(`total sampled: ${(total / 1000).toFixed(0)} ms`);
show('self time per package / file', perFile);
show('self time per function', perFn);
show('inclusive time per function (with callees)', inclusive);
