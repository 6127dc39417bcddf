/**
 * `import '@oversight/sdk/auto'` as an ESM app's first line runs after the
 * app's whole static import graph is loaded, so the loader hooks it registers
 * never see the app's `openai` or `@anthropic-ai/sdk`. This pass reaches those
 * same module instances instead: it resolves each instrumented package the way
 * the app does (from the app's own location, ESM conditions), imports that URL
 * (the loader's cache hands back the instance the app holds) and patches it
 * through the instrumentation's own module definition. The client classes'
 * prototypes are shared with the app even though ESM namespaces are frozen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Instrumentation, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { legacy, exports as resolveExports } from 'resolve.exports';
import { diagnoseOnce, errorName } from '../safe.ts';

export type LoadedModuleStatus =
  | 'patched'
  | 'not-installed'
  | 'not-a-dependency'
  | 'not-loaded'
  | 'unsupported'
  | 'failed';

export interface LoadedModuleOutcome {
  module: string;
  status: LoadedModuleStatus;
  version?: string;
}

export interface PatchLoadedOptions {
  /** A file inside the app: packages are resolved from here. Default: the main script, else the cwd. */
  from?: string;
}

interface PackageJson {
  version?: string;
  exports?: unknown;
  main?: string;
  module?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** The module definitions an instrumentation patches. */
function definitionsOf(instrumentation: Instrumentation): InstrumentationModuleDefinition[] {
  const i = instrumentation as Instrumentation & {
    getModuleDefinitions?: () => InstrumentationModuleDefinition[];
    _modules?: InstrumentationModuleDefinition[];
  };
  // `_modules` first: the instance's own list, which disable() walks (getModuleDefinitions() builds new ones).
  return i._modules ?? i.getModuleDefinitions?.() ?? [];
}

/** The main script when there is one (`node app.mjs`), else a file in the cwd (REPL, `-e`). */
export function appLocation(): string {
  const main = process.argv[1];
  if (main && existsSync(main)) return path.resolve(main);
  return path.join(process.cwd(), '[eval].js');
}

/**
 * True when `@oversight/sdk/auto` was preloaded (`node --import`/`--require`,
 * or in NODE_OPTIONS): its hooks were in place before the app loaded anything,
 * so there is nothing left for this pass to reach.
 */
export function autoPreloaded(argv: readonly string[] = preloadArgs()): boolean {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg];
    if (flag !== '--import' && flag !== '--require' && flag !== '-r') continue;
    const value = inline ?? argv[i + 1] ?? '';
    if (/@oversight[/\\]sdk[/\\].*auto|^@oversight\/sdk\/auto$/.test(value)) return true;
  }
  return false;
}

function preloadArgs(): string[] {
  const fromEnv = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  return [...process.execArgv, ...fromEnv];
}

const PLAIN_VERSION = /^(\d+)\.(\d+)\.(\d+)$/;
const SIMPLE_RANGE = /^>=\s*(\d+)\.(\d+)\.(\d+)\s+<\s*(\d+)(?:\.(\d+)\.(\d+))?$/;

/**
 * semver's `satisfies` (prereleases included), with a fast path for what it
 * meets on every app start: a release version against one of our own
 * `>=a.b.c <d` ranges. Loading semver (its regex tables, Range, Comparator)
 * costs about 20 ms of the start budget, so it loads only for anything else.
 */
export function versionSatisfies(version: string, range: string): boolean {
  const v = PLAIN_VERSION.exec(version);
  const r = SIMPLE_RANGE.exec(range.trim());
  if (v && r) {
    const at = v.slice(1, 4).map(Number);
    const low = r.slice(1, 4).map(Number);
    const high = [Number(r[4]), Number(r[5] ?? 0), Number(r[6] ?? 0)];
    return compareTriples(at, low) >= 0 && compareTriples(at, high) < 0;
  }
  const satisfies = createRequire(import.meta.url)('semver/functions/satisfies.js') as (
    version: string,
    range: string,
    options: { includePrerelease: boolean },
  ) => boolean;
  return satisfies(version, range, { includePrerelease: true });
}

function compareTriples(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++)
    if ((a[i] as number) !== (b[i] as number)) return (a[i] as number) - (b[i] as number);
  return 0;
}

/** The package directory `name` resolves to from `from`, as Node's lookup would find it. */
function packageDir(name: string, from: string): string | undefined {
  const lookup = createRequire(from).resolve.paths(name) ?? [];
  for (const dir of lookup) {
    const candidate = path.join(dir, name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  return undefined;
}

/** The file an ESM `import name` from the app loads (the package's `import`/`node` export). */
function esmEntry(dir: string, pkg: PackageJson): string | undefined {
  const target = pkg.exports
    ? resolveExports(pkg, '.', { conditions: ['node', 'import'] })?.[0]
    : legacy(pkg, { browser: false, fields: ['main'] });
  return typeof target === 'string' ? path.join(dir, target) : undefined;
}

/** Whether any package.json from the app up to the root lists `name`: only then is the app likely to load it. */
function declaredByApp(name: string, from: string): boolean {
  let dir = path.dirname(from);
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      const fields = [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies, pkg.peerDependencies];
      if (fields.some((deps) => deps && name in deps)) return true;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

/** The app's copy of the package, when it is one the app declares and the instrumentation supports. */
function appPackage(
  definition: InstrumentationModuleDefinition,
  from: string,
): { dir: string; pkg: PackageJson; version: string } | LoadedModuleOutcome {
  const name = definition.name;
  const dir = packageDir(name, from);
  if (!dir) return { module: name, status: 'not-installed' };
  if (!declaredByApp(name, from)) return { module: name, status: 'not-a-dependency' };
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  const version = pkg.version;
  if (!version || !definition.supportedVersions.some((range) => versionSatisfies(version, range)))
    return { module: name, status: 'unsupported', ...(version ? { version } : {}) };
  return { dir, pkg, version };
}

function patchExports(
  definition: InstrumentationModuleDefinition,
  exports: unknown,
  version: string,
): LoadedModuleOutcome {
  if (!definition.patch) return { module: definition.name, status: 'failed', version };
  definition.patch(exports, version);
  // What the hooks would have recorded: the instrumentation's disable() unpatches it symmetrically.
  definition.moduleExports = exports;
  definition.moduleVersion = version;
  return { module: definition.name, status: 'patched', version };
}

async function patchOne(
  definition: InstrumentationModuleDefinition,
  from: string,
): Promise<LoadedModuleOutcome> {
  const found = appPackage(definition, from);
  if ('status' in found) return found;
  const entry = esmEntry(found.dir, found.pkg);
  if (!entry) return { module: definition.name, status: 'failed', version: found.version };
  const exports: unknown = await import(pathToFileURL(entry).href);
  return patchExports(definition, exports, found.version);
}

/**
 * For `init()` called from the app's code, which the app's imports ran
 * before: an ES module app's clients were loaded before its first line ran,
 * and a CommonJS app may have required them before calling init(); the
 * require hook sees neither. Synchronous, so the app's next call is traced:
 * in an ES module app the package's ESM entry is required (Node hands back
 * the instance the app imported), in a CommonJS app only a copy already in
 * the require cache is patched (a later require goes through the hook).
 * Never throws.
 */
export function patchAppModulesNow(
  instrumentations: readonly Instrumentation[],
  options: PatchLoadedOptions & { esm?: boolean } = {},
): LoadedModuleOutcome[] {
  const from = options.from ?? appLocation();
  const esm = options.esm ?? esmEntryApp();
  const outcomes: LoadedModuleOutcome[] = [];
  for (const instrumentation of instrumentations) {
    for (const definition of definitionsOf(instrumentation)) {
      try {
        const found = appPackage(definition, from);
        if ('status' in found) {
          outcomes.push(found);
          continue;
        }
        const load = createRequire(from);
        let exports: unknown;
        if (esm) {
          const entry = esmEntry(found.dir, found.pkg);
          exports = entry ? load(entry) : undefined;
        } else {
          exports = load.cache[load.resolve(definition.name)]?.exports;
        }
        outcomes.push(
          exports === undefined
            ? { module: definition.name, status: 'not-loaded', version: found.version }
            : patchExports(definition, exports, found.version),
        );
      } catch (error) {
        outcomes.push({ module: definition.name, status: 'failed' });
        diagnoseOnce(
          `loaded-modules:${definition.name}`,
          `could not patch the app's ${definition.name} (${errorName(error)}); wrap its clients with instrument(client)`,
        );
      }
    }
  }
  for (const o of outcomes)
    if (o.status === 'unsupported')
      diagnoseOnce(
        `loaded-modules:${o.module}`,
        `${o.module}@${o.version ?? '?'} is not a supported version; not traced`,
      );
  return outcomes;
}

/** Node sets no main module when the entry point is an ES module (nor for `-e` or the REPL). */
function esmEntryApp(): boolean {
  return createRequire(import.meta.url).main === undefined;
}

/**
 * Patches the instances of the instrumented packages that the app itself
 * loads. Never throws; idempotent (the instrumentations wrap each prototype
 * once, so modules the hooks or `require` already patched stay patched once).
 * When nothing could be patched, one diagnostic line says what to do instead.
 */
export async function patchLoadedModules(
  instrumentations: readonly Instrumentation[],
  options: PatchLoadedOptions = {},
): Promise<LoadedModuleOutcome[]> {
  const from = options.from ?? appLocation();
  const outcomes: LoadedModuleOutcome[] = [];
  for (const instrumentation of instrumentations) {
    for (const definition of definitionsOf(instrumentation)) {
      try {
        outcomes.push(await patchOne(definition, from));
      } catch (error) {
        outcomes.push({ module: definition.name, status: 'failed' });
        diagnoseOnce(
          `loaded-modules:${definition.name}`,
          `could not patch the app's ${definition.name} (${errorName(error)}); wrap its clients with instrument(client)`,
        );
      }
    }
  }
  const unsupported = outcomes.filter((o) => o.status === 'unsupported');
  for (const o of unsupported)
    diagnoseOnce(
      `loaded-modules:${o.module}`,
      `${o.module}@${o.version ?? '?'} is not a supported version; not traced`,
    );
  // Not one package reachable from the app: a bundle that inlined its clients.
  if (outcomes.length > 0 && outcomes.every((o) => o.status === 'not-installed'))
    diagnoseOnce(
      'loaded-modules',
      `found none of ${outcomes.map((o) => o.module).join(', ')} from ${path.dirname(from)} (bundled app?); wrap each client with instrument(client) from '@oversight/sdk'`,
    );
  return outcomes;
}
