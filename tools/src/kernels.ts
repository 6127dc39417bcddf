/**
 * The WebAssembly kernels shipped beside their text source: each `.wat` is
 * compiled to the `.wasm` next to it, which the package loads at run time.
 * Compiled here, in the repo, so the package needs no WebAssembly toolchain;
 * a test compiles each again and compares, so the two cannot drift.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';

/** Every kernel's text source. */
export const KERNELS = [
  fileURLToPath(new URL('../../collector/src/enrich/topics/columns.wat', import.meta.url)),
  fileURLToPath(new URL('../../scorers/src/embed/student.wat', import.meta.url)),
];

/** The binary of one `.wat` file (SIMD on, as Node has had it since 16). */
export async function compileKernel(file: string): Promise<Uint8Array> {
  const toolkit = await wabt();
  const module = toolkit.parseWat(file, readFileSync(file, 'utf8'), { simd: true });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}
