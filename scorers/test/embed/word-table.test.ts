import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeWordTable, WordTable } from '../../src/embed/word-table.ts';

describe('WordTable', () => {
  it('round-trips words and int8 vectors within quantisation error', () => {
    const vectors = [0.5, -1, 0.25, 2, 0, -0.125];
    const table = WordTable.parse(encodeWordTable(['card', 'refund'], vectors, 3));
    expect(table.size).toBe(2);
    expect(table.components).toBe(3);
    const out = new Float32Array(5);
    expect(table.addTo('refund', 2, out, 1)).toBe(true);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(4, 1);
    expect(out[2]).toBeCloseTo(0, 5);
    expect(out[3]).toBeCloseTo(-0.25, 1);
    expect(out[4]).toBe(0);
    // Adds to what is there.
    table.addTo('card', 1, out, 1);
    expect(out[2]).toBeCloseTo(-1, 1);
    expect(table.addTo('unknown', 1, out)).toBe(false);
    expect(table.has('card')).toBe(true);
  });

  it('reads a table at any byte offset', () => {
    const bytes = encodeWordTable(['a', 'b'], [1, 0, 0, 1], 2);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const table = WordTable.parse(shifted.subarray(3));
    const out = new Float32Array(2);
    table.addTo('b', 1, out);
    expect(Array.from(out)).toEqual([0, 1]);
  });

  it('rejects bad, truncated and inconsistent input with a clear error', () => {
    const good = encodeWordTable(['a', 'b'], [1, 0, 0, 1], 2);
    const bad = good.slice();
    bad[0] = 0;
    expect(() => WordTable.parse(bad, 't.bin')).toThrow(/t\.bin: not a word table/);
    expect(() => WordTable.parse(good.subarray(0, 20), 't.bin')).toThrow(/truncated/);
    expect(() => WordTable.parse(new Uint8Array(4))).toThrow(/too short/);
    const extra = new Uint8Array(good.length + 2);
    extra.set(good);
    extra.set(new TextEncoder().encode('\nc'), good.length);
    expect(() => WordTable.parse(extra)).toThrow(/header says 2 words, text has 3/);
    expect(() => encodeWordTable(['a'], [1, 2, 3], 2)).toThrow(/3 values for 1 words/);
    expect(() => encodeWordTable(['a\nb'], [1], 1)).toThrow(/bad word/);
  });

  it('loads a table from a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wordtable-')), 'words.bin');
    writeFileSync(file, encodeWordTable(['cash'], [3, -4], 2));
    const table = WordTable.load(pathToFileURL(file));
    const out = new Float32Array(2);
    table.addTo('cash', 1, out);
    expect(out[0]).toBeCloseTo(3, 1);
    expect(out[1]).toBeCloseTo(-4, 1);
  });
});
