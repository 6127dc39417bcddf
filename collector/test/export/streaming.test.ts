/**
 * The export's memory does not grow with the rows: the store works on one
 * bounded slice at a time, streams it, and a slow output holds the reading
 * back. Slicing must not change a single exported byte.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ExportOptions, exportPreferences } from '../../src/export/export-preferences.ts';
import type { QueryOptions, Store } from '../../src/store/store.ts';
import { storeBackends } from '../helpers/store-backends.ts';
import { type Generation, seededStore, spanId, traceId, type Vote } from './seed.ts';

const QUESTIONS = [
  'How do I reset my password?',
  'how do i reset my PASSWORD',
  'What are your opening hours on Sunday?',
  'What are your opening hours on Sunday please?',
  'Cancel my subscription',
  'What is the refund window?',
  'My card 4111 1111 1111 1111 was declined, why?',
  'Do you ship to Canada?',
];

// 48 generations over two projects: repeated and near-identical prompts, edits,
// ties, and a few votes for traces that never reached the store.
const generations: Generation[] = [];
const votes: Vote[] = [];
for (let n = 1; n <= 48; n++) {
  const project = n % 5 === 0 ? 'other' : 'main';
  const question = QUESTIONS[n % QUESTIONS.length] as string;
  generations.push({
    project,
    trace: traceId(n),
    span: spanId(n),
    question,
    answer: `Answer ${n} to ${question.slice(0, 12)}; mail ops${n}@example.com`,
    groundedness: (n % 10) / 10,
    hallucinated: n % 7 === 0 ? 1 : 0,
  });
  const vote = { project, traceId: traceId(n), spanId: spanId(n) };
  if (n % 6 === 0) {
    votes.push({ ...vote, id: `e${n}`, kind: 'edit', value: 0, correction: `Corrected ${n}.` });
  } else {
    votes.push({ ...vote, id: `v${n}`, kind: 'thumbs', value: n % 3 === 0 ? 0 : 1 });
    if (n % 11 === 0) votes.push({ ...vote, id: `w${n}`, userId: 'u2', kind: 'thumbs', value: 0 });
  }
}
for (let n = 90; n < 94; n++)
  votes.push({
    project: 'main',
    id: `lost${n}`,
    traceId: traceId(n),
    spanId: spanId(n),
    kind: 'thumbs',
    value: 1,
  });

async function run(store: Store, out: Writable, options: ExportOptions) {
  const chunks: string[] = [];
  const sink = out instanceof PassThrough ? out : undefined;
  sink?.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const summary = await exportPreferences(store, out, options);
  return { summary, text: chunks.join('') };
}

/** The real store, counting the rows each stream (one per slice) yields. */
function counting(store: Store) {
  const slices: number[] = [];
  const counted: Store = {
    ...store,
    async *stream<T>(sql: string, options?: QueryOptions) {
      const slice = slices.push(0) - 1;
      for await (const batch of store.stream<T>(sql, options)) {
        slices[slice] = (slices[slice] ?? 0) + batch.length;
        yield batch;
      }
    },
  };
  return { counted, slices };
}

describe.each(storeBackends())('export streaming on $name', (backend) => {
  const seeded = seededStore(backend, generations, votes);

  for (const format of ['kto', 'sft', 'dpo'] as const) {
    it(`${format}: small slices give the same records and summary as one slice`, async () => {
      const whole = await run(seeded.store, new PassThrough(), { format });
      expect(whole.summary.written).toBeGreaterThan(3);
      for (const sliceRows of [12]) {
        const { counted, slices } = counting(seeded.store);
        const sliced = await run(counted, new PassThrough(), { format, sliceRows, pageSize: 2 });
        expect(sliced.text).toBe(whole.text);
        expect(sliced.summary).toEqual(whole.summary);
        expect(slices.length).toBeGreaterThan(3);
        // By trace, a slice holds at most sliceRows feedback rows, so at most as many rated generations.
        if (format !== 'dpo') expect(Math.max(...slices)).toBeLessThanOrEqual(sliceRows);
      }
    }, 120_000);
  }

  it('a blocked output holds the reading back, and a released one gets every record', async () => {
    const expected = await run(seeded.store, new PassThrough(), { format: 'kto' });
    let release: (() => void) | undefined;
    const written: string[] = [];
    let firstWrite: () => void = () => {};
    const wrote = new Promise<void>((resolve) => {
      firstWrite = resolve;
    });
    const blocked = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString('utf8'));
        firstWrite();
        if (release) callback();
        else release = callback;
      },
    });
    const { counted, slices } = counting(seeded.store);
    let read = 0;
    const exporting = exportPreferences(counted, blocked, {
      format: 'kto',
      sliceRows: 12,
      pageSize: 1,
      onProgress: (n) => {
        read = n;
      },
    });
    await wrote;
    // Give a reader that ignored backpressure ample time to run ahead.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(written).toHaveLength(1);
    expect(slices.length).toBeLessThanOrEqual(2);
    expect(read).toBeLessThanOrEqual(24);
    const held = release as unknown as () => void;
    release = () => {};
    held();
    const summary = await exporting;
    expect(written.join('')).toBe(expected.text);
    expect(summary).toEqual(expected.summary);
    expect(slices.length).toBeGreaterThan(3);
  }, 120_000);

  it('an output that fails stops the export with its error', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    const { counted, slices } = counting(seeded.store);
    await expect(exportPreferences(counted, failing, { format: 'kto', sliceRows: 12 })).rejects.toThrow(
      'disk full',
    );
    expect(slices.length).toBeLessThanOrEqual(2);
    expect(await seeded.store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
