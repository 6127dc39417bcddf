/**
 * Compiles the WebAssembly kernels (kernels.ts) to the `.wasm` beside each
 * `.wat`: `npx node tools/src/build-kernels.ts`.
 */
import { writeFileSync } from 'node:fs';
import { compileKernel, KERNELS } from './kernels.ts';

for (const file of KERNELS) {
  const out = file.replace(/\.wat$/, '.wasm');
  const bytes = await compileKernel(file);
  writeFileSync(out, bytes);
  console.log(`${out}: ${bytes.length} bytes`);
}
