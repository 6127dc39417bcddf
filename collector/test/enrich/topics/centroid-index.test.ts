import { seededRandom } from '@oversight/scorers';
import { describe, expect, it } from 'vitest';
import { CentroidIndex } from '../../../src/enrich/topics/centroid-index.ts';
import { TopicClusterer } from '../../../src/enrich/topics/clusterer.ts';

const rng = seededRandom;

describe('CentroidIndex', () => {
  it('lists every slot whose cosine reaches the floor, through writes, partial updates and clears', () => {
    const dim = 256;
    const r = rng(3);
    const index = new CentroidIndex(dim, true, 16);
    const sums: Float32Array[] = [];
    const sparse = (nnz: number) => {
      const v = new Float32Array(dim);
      for (let k = 0; k < nnz; k++) v[Math.floor(r() * dim)] = r() * 2 - 1;
      return v;
    };
    const sq = (v: Float32Array) => v.reduce((a, x) => a + x * x, 0);
    const slots = 1_500;
    for (let slot = 0; slot < slots; slot++) {
      sums[slot] = sparse(12);
      index.write(slot, sums[slot] as Float32Array, sq(sums[slot] as Float32Array));
    }
    let checked = 0;
    let reached = 0;
    for (let round = 0; round < 300; round++) {
      // Grow a slot by a sparse vector (only its dimensions rewritten), or empty one.
      const slot = Math.floor(r() * slots);
      const sum = sums[slot] as Float32Array;
      if (r() < 0.1) {
        sum.fill(0);
        index.clear(slot);
      } else {
        const add = sparse(6);
        const dims: number[] = [];
        add.forEach((x, j) => {
          if (x !== 0) {
            sum[j] = (sum[j] as number) + x;
            dims.push(j);
          }
        });
        index.write(slot, sum, sq(sum), dims);
      }
      const q = sparse(20);
      const n = Math.sqrt(sq(q));
      for (let j = 0; j < dim; j++) q[j] = (q[j] as number) / n;
      const nz = [...q.keys()].filter((j) => q[j] !== 0);
      const floor = 0.2;
      const count = index.candidates(q, nz, floor, slots);
      const listed = new Set(index.listed.subarray(0, count));
      for (let s = 0; s < slots; s++) {
        const c = sums[s] as Float32Array;
        const norm = Math.sqrt(sq(c));
        if (norm === 0) continue;
        let dot = 0;
        for (const j of nz) dot += (q[j] as number) * (c[j] as number);
        if (dot / norm >= floor) {
          reached++;
          expect({ round, s, listed: listed.has(s) }).toEqual({ round, s, listed: true });
        }
        checked++;
      }
      // The filter must also leave most slots out, or it saves nothing.
      expect(count).toBeLessThan(slots / 4);
    }
    expect(reached).toBeGreaterThan(100);
    expect(checked).toBeGreaterThan(300 * 1_000);
  });

  it('refuses a floor at or below zero (topics it never reaches would then count)', () => {
    const index = new CentroidIndex(16, true);
    expect(() => index.candidates(new Float32Array(16), [], 0, 0)).toThrow(/floor must be positive/);
  });
});

describe('TopicClusterer: indexed search equals the linear scan', () => {
  // Made-up words in a shared vocabulary, so topics overlap in words and n-grams as real ones do.
  const syllables = [...'bcdfghjklmnprstvz'].flatMap((c) => [...'aeiou'].map((v) => c + v));
  const r0 = rng(11);
  const vocab = Array.from({ length: 3_000 }, () =>
    Array.from({ length: 3 }, () => syllables[Math.floor(r0() * syllables.length)]).join(''),
  );
  const templates = [
    (a: string, b: string, c: string, x: string) => `how do i ${a} my ${b} ${c} ${x}`,
    (a: string, b: string, c: string, x: string) => `why is the ${b} ${c} not ${a} since ${x}`,
    (a: string, b: string, c: string, x: string) => `${c} ${b} problem cannot ${a} with ${x}`,
  ];
  /** `count` questions; the first `intents` ask each intent once, in order, the rest at random. */
  function stream(intents: number, count: number, seed: number): string[] {
    const r = rng(seed);
    const pick = () => vocab[Math.floor(r() * vocab.length)] as string;
    const triples = Array.from({ length: intents }, () => [pick(), pick(), pick()] as const);
    return Array.from({ length: count }, (_, i) => {
      const [a, b, c] = triples[i < intents ? i : Math.floor(r() * intents)] as readonly [
        string,
        string,
        string,
      ];
      return (templates[Math.floor(r() * templates.length)] as (typeof templates)[number])(a, b, c, pick());
    });
  }

  it('chooses the same topic for every question among thousands, through merges and absorbs', () => {
    // 3,000 topics seeded as the bench does (one founding question each, through
    // restore, as from the topics table), then questions on those intents.
    const next = stream(3_000, 5_000, 5);
    const rows = (() => {
      const seeder = new TopicClusterer({ assignThreshold: 2, mergeEvery: Number.MAX_SAFE_INTEGER });
      for (const q of next.slice(0, 3_000)) seeder.assign('p', q);
      return seeder.snapshot();
    })();
    const questions = next.slice(3_000);
    const run = (search: 'auto' | 'linear') => {
      let t = Date.UTC(2026, 0, 2);
      const c = new TopicClusterer({
        search,
        mergeEvery: 128,
        now: () => {
          t += 1000;
          return new Date(t);
        },
      });
      c.restore(rows);
      const peak = c.size;
      const out = questions.map((q) => c.assignDetailed('p', q));
      c.maintain({ final: true });
      return { c, out, peak, rows: c.snapshot() };
    };
    const linear = run('linear');
    const indexed = run('auto');
    // Thousands of topics in one space (the index takes over past a few hundred),
    // and real joins, so both the founding and the joining branches are compared.
    expect(linear.peak).toBeGreaterThan(2_500);
    expect(linear.c.size).toBeGreaterThan(2_000);
    expect(linear.out.filter((a) => !a.created).length).toBeGreaterThan(1_000);
    let disagreements = 0;
    for (let i = 0; i < questions.length; i++) {
      const a = linear.out[i];
      const b = indexed.out[i];
      if (a?.topicId !== b?.topicId || a?.created !== b?.created || a?.similarity !== b?.similarity)
        disagreements++;
    }
    expect(disagreements).toBe(0);
    // Same merges and absorbs too: the surviving topics and their sizes match.
    const key = (rows: typeof linear.rows) => rows.map((r) => `${r.topic_id}:${r.size}`).sort();
    expect(key(indexed.rows)).toEqual(key(linear.rows));
    // Merged-away and absorbed topics leave tombstones: the removal paths ran.
    expect(indexed.rows.filter((r) => r.size === 0).length).toBeGreaterThan(100);
  }, 120_000);
});
