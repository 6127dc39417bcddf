/**
 * Builds every published workspace (the non-private ones listed in the root
 * package.json) to `dist/`: compiled ESM, `.d.ts`, source maps, the runtime
 * assets that sit next to the sources (DDL, model files), and CommonJS entry
 * files for the `require` condition of the package's `exports`.
 *
 *   node scripts/build-packages.ts            every published workspace
 *   node scripts/build-packages.ts sdk        one (a workspace dir or name)
 *   node scripts/build-packages.ts --list     `-w <dir>` per published workspace, for npm pack
 *
 * The manifests are the published ones as they stand: `exports` and `bin`
 * point at dist, and the repo reaches src/*.ts through the `oversight:source`
 * condition that comes first in every export (vitest, tsconfig and the
 * `node-options` of .npmrc turn it on). So `npm pack`, with or without
 * scripts, ships the package.json of the repo; packing only builds (`prepack`,
 * and the collector's `prepare`, which npm ci also runs before linking its bin).
 *
 * Plain `tsc`, not a bundler: it keeps the source tree's layout, so code that
 * finds files relative to itself (`new URL('./models/', import.meta.url)`, the
 * DDL directory, the transform worker's entry) finds them in dist unchanged.
 * The CommonJS entries load the ESM build through require(esm) (Node >= 22.12),
 * so ESM and CJS users share one module instance and one SDK state.
 *
 * Except the SDK's JavaScript, which rolldown bundles (see BUNDLED): an app
 * pays for every file it loads at start, and `import '@oversight/sdk/auto'`
 * loaded ~200 (the OpenTelemetry SDK packages are many small modules). tsc
 * still writes its `.d.ts` files, layout unchanged.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import nodeModule from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutputChunk, Plugin } from 'rolldown';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Files under src/ that are not part of a package: dev tools, tests, training rows, dev-only shims. */
const EXCLUDED_DIRS = new Set(['dev', 'test', 'tests', 'bench', '__tests__']);
const isExcludedFile = (name: string) =>
  /\.(test|spec|bench)\.ts$/.test(name) || name.endsWith('.jsonl') || name.endsWith('.cjs');

export interface Workspace {
  dir: string;
  name: string;
  manifest: PackageJson;
}

interface PackageJson {
  name: string;
  private?: boolean;
  workspaces?: string[];
  exports?: unknown;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

/** The published workspaces, dependencies before their dependents. */
export function publishedWorkspaces(root = ROOT): Workspace[] {
  const patterns = readJson(path.join(root, 'package.json')).workspaces ?? [];
  const dirs = patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [path.join(root, pattern)];
    const parent = path.join(root, pattern.slice(0, -2));
    return existsSync(parent)
      ? readdirSync(parent, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => path.join(parent, e.name))
      : [];
  });
  const all = dirs
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: readJson(path.join(dir, 'package.json')) }))
    .filter(({ manifest }) => !manifest.private)
    .map(({ dir, manifest }) => ({ dir, name: manifest.name, manifest }));
  const byName = new Map(all.map((w) => [w.name, w]));
  const ordered: Workspace[] = [];
  const visit = (w: Workspace, trail: string[]) => {
    if (ordered.includes(w)) return;
    if (trail.includes(w.name))
      throw new Error(`workspace dependency cycle: ${[...trail, w.name].join(' -> ')}`);
    const deps = { ...w.manifest.dependencies, ...w.manifest.peerDependencies };
    for (const dep of Object.keys(deps)) {
      const other = byName.get(dep);
      if (other) visit(other, [...trail, w.name]);
    }
    ordered.push(w);
  };
  for (const w of all) visit(w, []);
  return ordered;
}

/** The condition under which the repo resolves a workspace to its sources instead of dist. */
export const SOURCE_CONDITION = 'oversight:source';

/** An exports map with the source condition taken out: what Node resolves for a user. */
export function publishedExports(exports: unknown): unknown {
  if (!exports || typeof exports !== 'object' || Array.isArray(exports)) return exports;
  return Object.fromEntries(
    Object.entries(exports as Record<string, unknown>)
      .filter(([key]) => key !== SOURCE_CONDITION)
      .map(([key, value]) => [key, publishedExports(value)]),
  );
}

/**
 * `paths` from each sibling workspace's import specifiers to its built `.d.ts`:
 * a dependent compiles against what its dependency publishes, not its sources.
 */
function siblingTypePaths(w: Workspace, all: Workspace[]): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  const deps = { ...w.manifest.dependencies, ...w.manifest.peerDependencies };
  for (const other of all) {
    if (!(other.name in deps)) continue;
    const exports = publishedExports(other.manifest.exports);
    if (!exports || typeof exports !== 'object') continue;
    for (const [subpath, target] of Object.entries(exports as Record<string, unknown>)) {
      const types = findTypes(target);
      if (types) paths[path.posix.join(other.name, subpath)] = [path.join(other.dir, types)];
    }
  }
  return paths;
}

function findTypes(target: unknown): string | undefined {
  if (!target || typeof target !== 'object') return undefined;
  const t = target as Record<string, unknown>;
  if (typeof t.types === 'string') return t.types;
  for (const inner of Object.values(t)) {
    const found = findTypes(inner);
    if (found) return found;
  }
  return undefined;
}

function compile(w: Workspace, all: Workspace[], declarationsOnly = false): void {
  const src = path.join(w.dir, 'src');
  const dist = path.join(w.dir, 'dist');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'oversight-build-'));
  const config = path.join(tmp, 'tsconfig.json');
  const exclude = [...EXCLUDED_DIRS].map((d) => path.join(src, `**/${d}/**`));
  exclude.push(path.join(src, '**/*.test.ts'));
  writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: {
        rootDir: src,
        outDir: dist,
        noEmit: false,
        declaration: true,
        emitDeclarationOnly: declarationsOnly,
        declarationMap: true,
        sourceMap: true,
        // The maps carry the sources: src/ is not in the tarball.
        inlineSources: true,
        paths: siblingTypePaths(w, all),
        // The repo's tsconfig resolves siblings to their sources; a package compiles against their dist.
        customConditions: [],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      },
      include: [src],
      exclude,
    }),
  );
  const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc');
  const run = spawnSync(tsc, ['-p', config], { stdio: 'inherit' });
  rmSync(tmp, { recursive: true, force: true });
  if (run.status !== 0) throw new Error(`tsc failed for ${w.name} (exit ${run.status})`);
}

interface BundleSpec {
  /** Modules (src-relative) loaded by path at run time, not imported: each needs a file of its own. */
  extraEntries: string[];
  /** Bare imports copied into the bundle; every other one stays an import of the installed package. */
  inline: (specifier: string) => boolean;
  /** Modules (src-relative) that find siblings by relative path, so their chunk must sit at dist's top. */
  topLevel: string[];
  /** Bare imports (exact) served by a named export of a src module instead: `{ id: [module, export] }`. */
  standIns?: Record<string, [string, string]>;
  /** Take Node builtins from `process.getBuiltinModule()` instead of importing them (see builtinsFromProcess). */
  builtinsFromProcess?: boolean;
}

/** Workspaces whose ESM JavaScript ships bundled: one file per export, plus shared chunks. */
const BUNDLED: Record<string, BundleSpec> = {
  '@oversight/sdk': {
    // auto.cjs requires auto-setup (the synchronous half of auto); option-checks requires
    // options-schema by path, so zod loads only when there are options to check.
    extraEntries: ['auto-setup.ts', 'options-schema.ts'],
    // The OpenTelemetry SDK packages under the SDK (~150 small modules, tree-shaken here to
    // what it uses) and the conventions' constants. Not @opentelemetry/api: a peer, one
    // instance per app. Not the OTLP exporter: imported on the first export, never at start.
    inline: (id) =>
      (id.startsWith('@opentelemetry/') &&
        !/^@opentelemetry\/(api|exporter-trace-otlp-proto)(\/|$)/.test(id)) ||
      /^@oversight\/conventions(\/|$)/.test(id),
    topLevel: ['option-checks.ts'],
    // The bundled InstrumentationBase's require/import hooks, made for real only when a
    // watched package is first loaded: neither package (nor its lexers) loads at start.
    standIns: {
      'require-in-the-middle': ['lazy-hooks.ts', 'LazyRequireHook'],
      'import-in-the-middle': ['lazy-hooks.ts', 'LazyImportHook'],
    },
    builtinsFromProcess: true,
  },
};

/**
 * Bundles a workspace's ESM entries with rolldown: the export targets, named as
 * today (dist/auto.js, dist/instrumentation/langchain/index.js, ...), with code
 * they share in chunks beside them, so every entry sees one instance of each
 * module (one SDK state for `@oversight/sdk`, `/auto` and the CommonJS entries).
 * Chunks hold no top-level await, so require(esm) can load every entry but auto.js.
 */
async function bundle(w: Workspace, spec: BundleSpec): Promise<number> {
  const { rolldown } = await import('rolldown');
  const src = path.join(w.dir, 'src');
  const dist = path.join(w.dir, 'dist');
  const pairs: { esm: string; cjs: string }[] = [];
  conditionPairs(publishedExports(w.manifest.exports), pairs);
  const input: Record<string, string> = {};
  const entry = (srcRelative: string) => {
    input[srcRelative.replace(/\.ts$/, '')] = path.join(src, srcRelative);
  };
  for (const { esm } of pairs) entry(path.relative(dist, path.join(w.dir, esm)).replace(/\.js$/, '.ts'));
  for (const extra of spec.extraEntries) entry(extra);
  for (const file of Object.values(input))
    if (!existsSync(file))
      throw new Error(`${w.name}: bundle entry ${path.relative(w.dir, file)} is missing`);

  const build = await rolldown({
    input,
    platform: 'node',
    cwd: w.dir,
    // Bare package names only: `#platform` and the like are a package's own imports map.
    external: (id) =>
      /^(@[\w.-]+\/)?[a-z0-9]/i.test(id) &&
      !path.isAbsolute(id) &&
      !spec.inline(id) &&
      !(id in (spec.standIns ?? {})),
    plugins: [
      dedupe(w),
      standIns(src, spec.standIns ?? {}),
      ...(spec.builtinsFromProcess ? [builtinsFromProcess()] : []),
    ],
    // The OTel packages mark themselves side-effect free; our entries (auto-setup) are not.
    treeshake: { moduleSideEffects: (id, external) => !external && !id.includes('/node_modules/') },
  });
  const inlined = new Set<string>();
  try {
    const { output } = await build.write({
      dir: dist,
      format: 'esm',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunk-[hash].js',
      sourcemap: true,
      // OpenTelemetry's Apache-2.0 headers are plain comments: the notices file carries the licenses.
      comments: { legal: true, annotation: true, jsdoc: false },
    });
    for (const item of output) {
      if (item.type !== 'chunk') continue;
      const chunk = item as OutputChunk;
      for (const id of chunk.moduleIds) {
        // The package's own directory (the last node_modules level), for its version and license.
        const m = /^(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)/.exec(id);
        if (m?.[1]) inlined.add(m[1]);
        const rel = path.relative(src, id);
        if (spec.topLevel.includes(rel) && path.dirname(chunk.fileName) !== '.')
          throw new Error(`${w.name}: ${rel} landed in ${chunk.fileName}; it must sit at dist's top level`);
      }
    }
  } finally {
    await build.close();
  }
  writeNotices(dist, inlined);
  return Object.keys(input).length;
}

/**
 * Serves each stand-in id as a one-line module re-exporting `Hook` from the
 * src module that replaces it. Only the exact id: subpaths (the SDK's own
 * `import-in-the-middle/...` requires) stay what they are.
 */
function standIns(src: string, table: Record<string, [string, string]>): Plugin {
  const PREFIX = '\0oversight-stand-in:';
  return {
    name: 'oversight-stand-ins',
    resolveId(id) {
      return id in table ? `${PREFIX}${id}` : null;
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const [file, name] = table[id.slice(PREFIX.length)] as [string, string];
      return `export { ${name} as Hook } from ${JSON.stringify(path.join(src, file))};\n`;
    },
  };
}

const IMPORT_LINE =
  /^import\s+(?:(\w[\w$]*)\s*,?\s*)?(?:\*\s+as\s+(\w[\w$]*)|\{([^}]*)\})?\s*from\s+"([^"]+)";$/gm;

/**
 * Rewrites a chunk's imports of Node builtins to `process.getBuiltinModule()`
 * (Node >= 22.3). Importing a builtin from ESM builds its namespace, which
 * reads every export and so loads what Node keeps lazy: `fs` brings its
 * streams and promises API, `util` its diff and parseArgs, about 45 internal
 * modules in a bare process, for the few functions the SDK calls. One line
 * stays one line, so the source maps still line up. The bindings become
 * consts, so chunks that import each other in a cycle would see them in their
 * temporal dead zone: the build refuses such cycles.
 */
function builtinsFromProcess(): Plugin {
  return {
    name: 'oversight-builtins-from-process',
    renderChunk(code) {
      let changed = false;
      const out = code.replace(IMPORT_LINE, (line, def?: string, ns?: string, named?: string, from = '') => {
        if (!nodeModule.isBuiltin(from)) return line;
        changed = true;
        const target = `process.getBuiltinModule(${JSON.stringify(from)})`;
        const parts: string[] = [];
        const base = def ?? ns;
        if (base) parts.push(`const ${base} = ${target};`);
        if (named?.trim()) {
          const fields = named
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean)
            .map((n) => n.replace(/^(\S+)\s+as\s+(\S+)$/, '$1: $2'));
          parts.push(`const { ${fields.join(', ')} } = ${base ?? target};`);
        }
        return parts.join(' ');
      });
      return changed ? { code: out, map: null } : null;
    },
    generateBundle(_options, bundle) {
      const imports = new Map<string, string[]>();
      for (const item of Object.values(bundle))
        if (item.type === 'chunk') imports.set(item.fileName, (item as OutputChunk).imports);
      const visit = (file: string, trail: string[]) => {
        if (trail.includes(file)) throw new Error(`chunk import cycle: ${[...trail, file].join(' -> ')}`);
        for (const next of imports.get(file) ?? []) if (imports.has(next)) visit(next, [...trail, file]);
      };
      for (const file of imports.keys()) visit(file, []);
    },
  };
}

/**
 * Resolves the workspace's own dependencies from the workspace, whoever imports
 * them: one copy of `@opentelemetry/core` in the bundle, as npm's dedupe gives an
 * app, where the repo's node_modules nests a copy under each OTel package.
 */
function dedupe(w: Workspace): Plugin {
  const own = new Set(Object.keys(w.manifest.dependencies ?? {}));
  const from = path.join(w.dir, 'package.json');
  return {
    name: 'oversight-dedupe',
    async resolveId(id, importer) {
      const name = /^(@[^/]+\/[^/]+|[^./#][^/]*)/.exec(id)?.[1];
      if (!name || !own.has(name) || importer === from) return null;
      return this.resolve(id, from, { skipSelf: true });
    },
  };
}

/**
 * The licenses of third-party code copied into the bundle (Apache-2.0 asks that
 * they travel with it): each package with its version, each license text once.
 */
function writeNotices(dist: string, packageDirs: Set<string>): void {
  const byText = new Map<string, string[]>();
  for (const dir of [...packageDirs].sort()) {
    const manifest = readJson(path.join(dir, 'package.json')) as PackageJson & {
      version?: string;
      license?: string;
    };
    const licenseFile = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    const text = licenseFile
      ? readFileSync(path.join(dir, licenseFile), 'utf8').trim()
      : `${manifest.license ?? 'no license'} (the package ships no license file)`;
    const names = byText.get(text) ?? [];
    names.push(`${manifest.name}@${manifest.version ?? '?'} (${manifest.license ?? 'no license field'})`);
    byText.set(text, names);
  }
  if (byText.size === 0) return;
  const sections = [...byText].map(
    ([text, names]) =>
      `${names
        .sort()
        .map((n) => `- ${n}`)
        .join('\n')}\n\n${text}\n`,
  );
  writeFileSync(
    path.join(dist, 'THIRD-PARTY-NOTICES.md'),
    `# Third-party code bundled in this package's JavaScript\n\n${sections.join('\n')}`,
  );
}

/** Non-TypeScript files the code loads at run time (DDL, models), copied beside the compiled JS. */
function copyAssets(from: string, to: string): number {
  let copied = 0;
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      if (!EXCLUDED_DIRS.has(entry.name)) copied += copyAssets(source, target);
    } else if (!entry.name.endsWith('.ts') && !isExcludedFile(entry.name)) {
      mkdirSync(to, { recursive: true });
      copyFileSync(source, target);
      copied++;
    }
  }
  return copied;
}

/** Collects `{ import, require }` leaf pairs of an exports map, whatever the nesting of `types`. */
function conditionPairs(value: unknown, found: { esm: string; cjs: string; cjsTypes?: string }[]): void {
  if (!value || typeof value !== 'object') return;
  const v = value as Record<string, unknown>;
  const leaf = (x: unknown, key: 'default' | 'types'): string | undefined =>
    typeof x === 'string'
      ? key === 'default'
        ? x
        : undefined
      : ((x as Record<string, string>)?.[key] ?? undefined);
  if ('import' in v && 'require' in v) {
    const esm = leaf(v.import, 'default');
    const cjs = leaf(v.require, 'default');
    if (esm && cjs) found.push({ esm, cjs, cjsTypes: leaf(v.require, 'types') });
    return;
  }
  for (const inner of Object.values(v)) conditionPairs(inner, found);
}

/**
 * Writes the `require` entries. A hand-written CommonJS entry in src/ (same
 * path, `.cjs`) is copied with its `.ts` requires pointed at the built `.js`;
 * otherwise the entry re-exports the ESM module of the same export through
 * require(esm). Either way its `.d.cts` re-exports that module's types.
 */
function writeCjsEntries(w: Workspace): number {
  const pairs: { esm: string; cjs: string; cjsTypes?: string }[] = [];
  conditionPairs(publishedExports(w.manifest.exports), pairs);
  const dist = path.join(w.dir, 'dist');
  for (const { esm, cjs, cjsTypes } of pairs) {
    const cjsFile = path.join(w.dir, cjs);
    const esmFile = path.join(w.dir, esm);
    if (!existsSync(esmFile)) throw new Error(`${w.name}: exports target ${esm} was not built`);
    let rel = path.relative(path.dirname(cjsFile), esmFile).split(path.sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    const handWritten = path.join(w.dir, 'src', path.relative(dist, cjsFile));
    mkdirSync(path.dirname(cjsFile), { recursive: true });
    if (cjsFile.startsWith(dist + path.sep) && existsSync(handWritten)) {
      const source = readFileSync(handWritten, 'utf8');
      writeFileSync(cjsFile, source.replace(/(require\(\s*['"]\.{1,2}\/[^'"]*)\.ts(['"])/g, '$1.js$2'));
    } else {
      writeFileSync(
        cjsFile,
        `'use strict';\n// CommonJS entry: the ESM build, loaded with require(esm) (Node >= 22.12).\nmodule.exports = require('${rel}');\n`,
      );
    }
    if (cjsTypes) writeFileSync(path.join(w.dir, cjsTypes), `export * from '${rel}';\n`);
  }
  return pairs.length;
}

/**
 * Makes the `bin` targets executable: tsc writes 0644, and the repo's
 * node_modules/.bin links (made by `npm ci` before `prepare` built them) run
 * them directly. npm sets the mode itself when it installs a tarball.
 */
function markBins(w: Workspace): void {
  const { bin } = w.manifest;
  const targets = typeof bin === 'string' ? [bin] : Object.values(bin ?? {});
  for (const target of targets) {
    const file = path.join(w.dir, target);
    if (!existsSync(file)) throw new Error(`${w.name}: bin ${target} was not built`);
    chmodSync(file, 0o755);
  }
}

export async function build(w: Workspace, all: Workspace[]): Promise<void> {
  const started = performance.now();
  rmSync(path.join(w.dir, 'dist'), { recursive: true, force: true });
  const spec = BUNDLED[w.name];
  compile(w, all, spec !== undefined);
  const bundled = spec ? await bundle(w, spec) : 0;
  const assets = copyAssets(path.join(w.dir, 'src'), path.join(w.dir, 'dist'));
  const entries = writeCjsEntries(w);
  markBins(w);
  const ms = Math.round(performance.now() - started);
  console.log(
    `built ${w.name}: ${bundled ? `${bundled} bundled entries, ` : ''}${assets} assets, ${entries} CommonJS entries, ${ms} ms`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    // For `npm pack $(... --list)` (the Dockerfile): one `-w <dir>` per published workspace.
    for (const w of publishedWorkspaces()) console.log(`-w ${path.relative(ROOT, w.dir)}`);
    process.exit(0);
  }
  const prepack = args.includes('--prepack');
  const names = args.filter((a) => !a.startsWith('--'));
  const wanted = names.map((a) => path.resolve(a));
  const all = publishedWorkspaces();
  const chosen = names.length ? all.filter((w) => wanted.includes(w.dir) || names.includes(w.name)) : all;
  if (names.length && chosen.length === 0) {
    console.error(`no published workspace matches ${names.join(', ')}`);
    process.exit(1);
  }
  for (const w of chosen) {
    // A dependent compiles against its siblings' dist: build those first when missing.
    if (prepack || names.length) {
      for (const dep of all) {
        if (dep === w || !(dep.name in { ...w.manifest.dependencies, ...w.manifest.peerDependencies }))
          continue;
        if (!existsSync(path.join(dep.dir, 'dist'))) await build(dep, all);
      }
    }
    await build(w, all);
  }
}
