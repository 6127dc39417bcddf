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
import satisfies from 'semver/functions/satisfies.js';
import { diagnoseOnce, errorName } from '../safe.ts';

export type LoadedModuleStatus = 'patched' | 'not-installed' | 'not-a-dependency' | 'unsupported' | 'failed';

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

async function patchOne(
  definition: InstrumentationModuleDefinition,
  from: string,
): Promise<LoadedModuleOutcome> {
  const name = definition.name;
  const dir = packageDir(name, from);
  if (!dir) return { module: name, status: 'not-installed' };
  if (!declaredByApp(name, from)) return { module: name, status: 'not-a-dependency' };
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  const version = pkg.version;
  if (
    !version ||
    !definition.supportedVersions.some((range) => satisfies(version, range, { includePrerelease: true }))
  )
    return { module: name, status: 'unsupported', ...(version ? { version } : {}) };
  const entry = esmEntry(dir, pkg);
  if (!entry) return { module: name, status: 'failed', version };
  const exports: unknown = await import(pathToFileURL(entry).href);
  if (!definition.patch) return { module: name, status: 'failed', version };
  definition.patch(exports, version);
  // What the hooks would have recorded: the instrumentation's disable() unpatches it symmetrically.
  definition.moduleExports = exports;
  definition.moduleVersion = version;
  return { module: name, status: 'patched', version };
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
