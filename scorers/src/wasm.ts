/**
 * The WebAssembly kernels' loader, shared by the sentence student
 * (embed/student.wat) and the collector's topic indexes (columns.wat). A
 * kernel is a `.wasm` file shipped beside the code that uses it, compiled
 * from the `.wat` next to it in the repo (tools/src/build-kernels.ts), with
 * one import, its memory. Node has had WebAssembly SIMD since 16.4.
 */
import { readFileSync } from 'node:fs';

const modules = new Map<string, WebAssembly.Module>();

/** A kernel instance over a memory of its own, `bytes` long at least (zeroed). */
export interface Kernel<Exports> {
  exports: Exports;
  /** The memory the kernel reads and writes; views of it stay valid (it never grows). */
  buffer: ArrayBuffer;
}

/**
 * Instantiates the kernel at `url` (compiled once per process) over a new
 * memory of at least `bytes`. Its exported functions are typed by the caller.
 */
export function wasmKernel<Exports>(url: URL, bytes: number): Kernel<Exports> {
  if (typeof WebAssembly === 'undefined')
    throw new Error(
      `${url.pathname.split('/').at(-1)}: this Node runs without WebAssembly (started with --jitless?), which the sentence student and the topic indexes' column pass need`,
    );
  let module = modules.get(url.href);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(url));
    modules.set(url.href, module);
  }
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65_536)) });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { exports: instance.exports as Exports, buffer: memory.buffer };
}
