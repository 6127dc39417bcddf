/**
 * Dev tool: request-path latency of the scorers on ~2 KB texts built from the
 * eval rows, with a trivial-function baseline measured in the same run so the
 * machine's noise floor is visible next to the figures.
 *
 *   npx node tools/src/bench-scorers.ts [eval dir] [iterations] [rounds]
 *
 * "input" is what the guard's default input policy runs (pii, prompt_injection,
 * jailbreak, toxicity), "output" its output policy (pii, toxicity, refusal),
 * "all" every scorer on the same text.
 */
import { scorers } from '@oversight/scorers';
import { benchDocs } from './corpus.ts';

const dir = process.argv[2] ?? '../shared/eval';
const iterations = Number(process.argv[3] ?? 2000);
const rounds = Number(process.argv[4] ?? 3);
const docs = benchDocs(dir);

const get = (name: string) => {
  const s = scorers[name];
  if (!s) throw new Error(`no scorer ${name}`);
  return s;
};
const inputSide = ['pii', 'prompt_injection', 'jailbreak', 'toxicity'].map(get);
const outputSide = ['pii', 'toxicity', 'refusal'].map(get);
const all = Object.values(scorers);

let sink = 0;
const cases: [string, (text: string) => void][] = [
  [
    'baseline (text length)',
    (t) => {
      sink += t.length;
    },
  ],
  ...all.map((s): [string, (text: string) => void] => [
    s.name,
    (t) => {
      sink += s.score(t).score;
    },
  ]),
  [
    'input side (4 scorers)',
    (t) => {
      for (const s of inputSide) sink += s.score(t).score;
    },
  ],
  [
    'output side (3 scorers)',
    (t) => {
      for (const s of outputSide) sink += s.score(t).score;
    },
  ],
  [
    'all 5 scorers',
    (t) => {
      for (const s of all) sink += s.score(t).score;
    },
  ],
];

function measure(fn: (text: string) => void): number[] {
  const times = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    // Strings as requests bring them: half concatenated (not yet flat), half sliced from a larger one.
    const text = `${docs[i % docs.length] as string}`.concat(i % 2 === 0 ? ' ' : '');
    const t0 = performance.now();
    fn(text);
    times[i] = performance.now() - t0;
  }
  times.sort();
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] as number;
  return [q(0.5), q(0.9), q(0.99)];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

// Warm every path first, so no case pays for compiling the code another case runs.
for (let i = 0; i < 3 * docs.length; i++) for (const [, fn] of cases) fn(docs[i % docs.length] as string);
// Rounds interleave the cases, and each figure is the median over rounds: a burst of load
// from other processes then moves one round's figure, not the answer.
const results = cases.map((): number[][] => []);
for (let r = 0; r < rounds; r++) for (const [k, [, fn]] of cases.entries()) results[k]?.push(measure(fn));

console.log(`docs=${docs.length} (~2 KB) iterations=${iterations} rounds=${rounds} (median over rounds)`);
console.log(`${'case'.padEnd(26)}  p50 µs   p90 µs   p99 µs`);
cases.forEach(([name], k) => {
  const runs = results[k] ?? [];
  const [p50, p90, p99] = [0, 1, 2].map((j) =>
    (median(runs.map((run) => run[j] as number)) * 1000).toFixed(1).padStart(7),
  );
  console.log(`${name.padEnd(26)}  ${p50}  ${p90}  ${p99}`);
});
if (sink === -1) console.log('');
