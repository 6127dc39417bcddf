import { readFileSync } from 'node:fs';
import { compileKernel, KERNELS } from '@oversight/tools/kernels';
import { describe, expect, it, vi } from 'vitest';
import { wasmKernel } from '../src/wasm.ts';

describe('the WebAssembly kernels', () => {
  it.each(KERNELS.map((file) => [file.split('/').slice(-2).join('/'), file]))(
    '%s ships compiled from its text as it stands',
    async (_, file) => {
      const shipped = readFileSync(file.replace(/\.wat$/, '.wasm'));
      expect(Buffer.from(await compileKernel(file)).equals(shipped)).toBe(true);
    },
  );

  it('are instantiated over a zeroed memory of their own, at least as large as asked', () => {
    const url = new URL('../src/embed/student.wasm', import.meta.url);
    const a = wasmKernel<{ matvec: unknown }>(url, 100_000);
    const b = wasmKernel<{ matvec: unknown }>(url, 1);
    expect(typeof a.exports.matvec).toBe('function');
    expect(a.buffer.byteLength).toBe(2 * 65_536);
    expect(b.buffer.byteLength).toBe(65_536);
    expect(a.buffer).not.toBe(b.buffer);
    expect(new Uint8Array(a.buffer).every((x) => x === 0)).toBe(true);
  });

  it('say what is missing when Node runs without WebAssembly (node --jitless)', () => {
    vi.stubGlobal('WebAssembly', undefined);
    try {
      expect(() => wasmKernel(new URL('../src/embed/student.wasm', import.meta.url), 1)).toThrow(
        "student.wasm: this Node runs without WebAssembly (started with --jitless?), which the sentence student and the topic indexes' column pass need",
      );
    } finally {
      vi.unstubAllGlobals();
    }
    expect(typeof WebAssembly).toBe('object');
  });
});
