import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import { activateImportHooks, deferImportHooks } from './lazy-hooks.ts';
import { diagnoseOnce, errorName } from './safe.ts';

/** Packages whose ESM imports must pass through import-in-the-middle to be patchable. */
export const HOOKED_PACKAGES = ['openai', '@anthropic-ai/sdk'];

let registered = false;

const requireHere = nodeModule.createRequire(import.meta.url);

/** import-in-the-middle's own version check, in a file of its own that loads nothing else. */
function supportsSyncHooks(): boolean {
  const { supportsSyncHooks: supports } = requireHere('import-in-the-middle/supports-sync-hooks.mjs') as {
    supportsSyncHooks(): boolean;
  };
  return supports();
}

type ResolveHook = Parameters<typeof nodeModule.registerHooks>[0]['resolve'];
type LoadHook = Parameters<typeof nodeModule.registerHooks>[0]['load'];
interface IitmHook {
  resolveSync: NonNullable<ResolveHook>;
  loadSync: NonNullable<LoadHook>;
  applyOptions(options: { include: string[] }): void;
}

/**
 * Lets the instrumentations patch ES modules. CommonJS needs nothing (the
 * require hook is installed by the instrumentations themselves). The loader
 * intercepts only the listed packages, so other imports pay nothing.
 */
export function registerModuleHooks(packages: string[] = HOOKED_PACKAGES): void {
  if (registered) return;
  registered = true;
  try {
    if (supportsSyncHooks()) {
      registerLazily(packages);
    } else {
      nodeModule.register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: packages } });
    }
  } catch (error) {
    hooksUnavailable(error);
  }
}

/**
 * import-in-the-middle's in-thread hooks, loaded on the first `import` of a
 * listed package: its loader only ever wraps those (the specifier must match),
 * and passes every other module through, so until then a resolve hook that
 * compares the specifier does the same for a fraction of the start cost (the
 * loader brings two lexers, one compiling WebAssembly). In an app that
 * imported its clients before this ran, or never imports them, it never loads.
 */
function registerLazily(packages: string[]): void {
  const include = new Set(packages);
  let hook: IitmHook | undefined;
  // Set while loading (its own imports pass straight through) and for good if that failed.
  let passThrough = false;
  deferImportHooks();
  nodeModule.registerHooks({
    resolve(specifier, context, next) {
      if (hook) return hook.resolveSync(specifier, context, next);
      if (passThrough || !include.has(specifier) || context.conditions?.includes('require'))
        return next(specifier, context);
      passThrough = true;
      try {
        const loaded = loadImportInTheMiddle(packages);
        // The instrumentations' import hooks, which the wrapper about to be made calls.
        activateImportHooks();
        hook = loaded;
        passThrough = false;
      } catch (error) {
        hooksUnavailable(error);
        return next(specifier, context);
      }
      return hook.resolveSync(specifier, context, next);
    },
    load(url, context, next) {
      return hook ? hook.loadSync(url, context, next) : next(url, context);
    },
  });
}

/** What `register()` of import-in-the-middle/register-hooks.mjs sets up, without registering it. */
function loadImportInTheMiddle(packages: string[]): IitmHook {
  const { createHook } = requireHere('import-in-the-middle/create-hook.mjs') as {
    createHook(meta: { url: string }): IitmHook;
  };
  // The URL register-hooks.mjs passes as its own import.meta: createHook locates its runtime from it.
  const hook = createHook({
    url: pathToFileURL(requireHere.resolve('import-in-the-middle/register-hooks.mjs')).href,
  });
  hook.applyOptions({ include: packages });
  return hook;
}

function hooksUnavailable(error: unknown): void {
  diagnoseOnce('hooks', `ESM hooks unavailable (${errorName(error)}); use instrument(client) for ESM apps`);
}
