// Registers the SDK's module hooks from its sources and reports whether
// import-in-the-middle loaded before and after the first import of a listed
// package, and whether that import reached the instrumentation's hook.
import { createRequire } from 'node:module';
import { registerModuleHooks } from '../../src/hooks.ts';
import { LazyImportHook } from '../../src/lazy-hooks.ts';

// Its loader (create-hook.mjs, with the lexers) and its registry (index.js); the
// version check (supports-sync-hooks.mjs) loads at registration and is cheap.
const iitmLoaded = () =>
  Object.keys(createRequire(import.meta.url).cache).some((f) =>
    /import-in-the-middle[\\/](create-hook\.mjs|index\.js)$/.test(f),
  );
registerModuleHooks(['openai']);
const names = [];
new LazyImportHook(['openai'], { internals: false }, (exports, name) => {
  names.push(name);
  return exports;
});
const before = iitmLoaded();
await import('node:os');
await import('zod');
const afterOthers = iitmLoaded();
const { default: OpenAI } = await import('openai');
console.log(JSON.stringify({ before, afterOthers, after: iitmLoaded(), names, client: typeof OpenAI }));
