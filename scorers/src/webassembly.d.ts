/**
 * The part of the WebAssembly JS API that wasm.ts uses.
 * TypeScript declares it only in its DOM libraries, and @types/node not at
 * all; Node has had all of it since v8.
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
  }
}
