import { describe, expect, it } from 'vitest';
import { PayloadMemory, parseJsonEachRow, toJsonEachRow } from '../../src/store/json-each-row.ts';

const HALF = '\ud83d';

describe('toJsonEachRow', () => {
  it('writes a row per line, bigints as decimal strings wherever they sit', async () => {
    const bytes = await toJsonEachRow([
      { topic_id: 18446744073709551615n, size: 3, centroid: [0.25, -1.5e-7] },
      { id: 'b', nested: { at: [1n, { deeper: 2n }] } },
    ]);
    const text = bytes.toString();
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(3);
    expect(parseJsonEachRow(text)).toEqual([
      { topic_id: '18446744073709551615', size: 3, centroid: [0.25, -1.5e-7] },
      { id: 'b', nested: { at: ['1', { deeper: '2' }] } },
    ]);
  });

  it('writes half an emoji as U+FFFD, in values and keys, deep or not, with a bigint beside it or not', async () => {
    const rows = [
      { explanation: `cut ${HALF}` },
      { attributes: { [`key ${HALF}`]: [`value ${HALF}`] }, whole: 'fine 😀' },
      { topic_id: 7n, label: `${HALF}label` },
    ];
    const text = (await toJsonEachRow(rows)).toString();
    expect(text).not.toMatch(/\\ud[89a-f]/i);
    expect(parseJsonEachRow(text)).toEqual([
      { explanation: 'cut \ufffd' },
      { attributes: { 'key \ufffd': ['value \ufffd'] }, whole: 'fine 😀' },
      { topic_id: '7', label: '\ufffdlabel' },
    ]);
    // The rows themselves are left as they were.
    expect(rows[0]?.explanation).toBe(`cut ${HALF}`);
  });

  it('leaves text that only looks like an escaped surrogate alone', async () => {
    // A backslash then "ud83d" is `\\ud83d` in JSON: an escaped backslash, not a surrogate.
    const rows = [{ code: '\\ud83d', pair: '\\\\ud83d' }];
    expect(parseJsonEachRow((await toJsonEachRow(rows)).toString())).toEqual(rows);
  });

  it('keeps a __proto__ key a key when it copies a row', async () => {
    const json = `{"term_counts": {"__proto__": 2, "x${'\\ud83d'}": 1}}`;
    const row = JSON.parse(json) as Record<string, unknown>;
    const [back] = parseJsonEachRow<{ term_counts: Record<string, number> }>(
      (await toJsonEachRow([row])).toString(),
    );
    expect(Object.entries(back?.term_counts ?? {})).toEqual([
      ['__proto__', 2],
      ['x\ufffd', 1],
    ]);
  });

  it('encodes each row as UTF-8, whatever characters its neighbours hold', async () => {
    const rows = [{ q: 'plain' }, { q: 'naïve ≥ 😀' }, { q: 'Latin-1 ü' }];
    const bytes = await toJsonEachRow(rows);
    expect(bytes.byteLength).toBe(Buffer.byteLength(rows.map((r) => `${JSON.stringify(r)}\n`).join('')));
    expect(parseJsonEachRow(bytes.toString('utf8'))).toEqual(rows);
  });

  it('hands the event loop back while it encodes many rows, and keeps their order', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => ({ i, text: 'x'.repeat(200) }));
    let ran = false;
    setTimeout(() => {
      ran = true;
    }, 0);
    // Slices of 0 ms: the loop is handed back after every row, so the timer runs before the end.
    const bytes = await toJsonEachRow(rows, { sliceMs: 0 });
    expect(ran).toBe(true);
    expect(parseJsonEachRow<{ i: number }>(bytes.toString()).map((r) => r.i)).toEqual(rows.map((r) => r.i));
  });

  it('still refuses what JSON cannot hold', async () => {
    const row: Record<string, unknown> = { id: 1 };
    row.self = row;
    await expect(toJsonEachRow([row])).rejects.toThrow(TypeError);
  });
});

describe('PayloadMemory', () => {
  const rowsOf = (count: number, tag: string) =>
    Array.from({ length: count }, (_, i) => ({ i, tag, text: 'y'.repeat(1_000) }));

  it('writes the next large payload into the memory of the last, exactly its length', async () => {
    const memory = new PayloadMemory();
    const first = await toJsonEachRow(rowsOf(6_000, 'first'), { memory });
    expect(first.byteLength).toBeGreaterThan(4 * 1024 * 1024);
    memory.give(first);
    const secondRows = rowsOf(5_000, 'second');
    const second = await toJsonEachRow(secondRows, { memory });
    expect(second.buffer).toBe(first.buffer);
    // Shorter than the first: none of the first's bytes show past its end.
    expect(parseJsonEachRow(second.toString())).toEqual(secondRows);
    expect(memory.keptBytes).toBe(0);
    memory.give(second);
    expect(memory.keptBytes).toBe(first.buffer.byteLength);
  });

  it('lends a buffer to one payload at a time, and keeps at most two', () => {
    const memory = new PayloadMemory();
    const mb = 1024 * 1024;
    const [a, b, c] = [5 * mb, 20 * mb, 40 * mb].map((n) => memory.take(n));
    expect(new Set([a?.buffer, b?.buffer, c?.buffer]).size).toBe(3);
    for (const p of [a, b, c]) if (p) memory.give(p);
    // The two largest stay (8 MB steps): 24 + 40 MB.
    expect(memory.keptBytes).toBe(64 * mb);
    const again = memory.take(10 * mb);
    expect(again.buffer.byteLength).toBe(24 * mb);
    expect(memory.take(10 * mb).buffer.byteLength).toBe(40 * mb);
    // Nothing left to lend: fresh memory.
    expect(memory.keptBytes).toBe(0);
  });

  it('leaves small payloads to Node', () => {
    const memory = new PayloadMemory();
    memory.give(memory.take(1_000));
    expect(memory.keptBytes).toBe(0);
  });
});
