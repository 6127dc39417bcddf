/**
 * Packs the published workspaces and installs the tarballs into an app
 * outside the repository, as a user would: shared by the packed-install test
 * and the import-cost bench section.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publishedWorkspaces, SOURCE_CONDITION } from '../../scripts/build-packages.ts';

const run = promisify(execFile);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Tarball {
  name: string;
  file: string;
  /** Bytes of the .tgz. */
  size: number;
  unpackedSize: number;
  entryCount: number;
}

/**
 * The environment for npm and the apps: no variables of this shell that would
 * redirect them (OVERSIGHT_*, NODE_OPTIONS, npm_* of the running script).
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(OVERSIGHT_|OTEL_|NODE_OPTIONS$|NODE_ENV$|VITEST|npm_|CLICKHOUSE_)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/**
 * Builds every published workspace once, then `npm pack --ignore-scripts`
 * each workspace as it is: the manifests are the published ones (no prepack
 * rewrite), so this is also what a publish that skips scripts would ship.
 */
export async function packWorkspaces(dest: string): Promise<Tarball[]> {
  mkdirSync(dest, { recursive: true });
  const node = path.join(ROOT, 'node_modules', '.bin', 'node');
  await run(node, [path.join(ROOT, 'scripts', 'build-packages.ts')], {
    cwd: ROOT,
    env: cleanEnv(),
    timeout: 240_000,
  });
  const tarballs: Tarball[] = [];
  for (const w of publishedWorkspaces(ROOT)) {
    const { stdout } = await run(
      'npm',
      ['pack', w.dir, '--json', '--ignore-scripts', '--pack-destination', dest],
      {
        cwd: dest,
        env: cleanEnv(),
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      },
    );
    const [p] = JSON.parse(stdout) as {
      name: string;
      filename: string;
      size: number;
      unpackedSize: number;
      entryCount: number;
    }[];
    if (!p) throw new Error(`npm pack ${w.name} reported nothing`);
    tarballs.push({
      name: p.name,
      file: path.join(dest, p.filename),
      size: p.size,
      unpackedSize: p.unpackedSize,
      entryCount: p.entryCount,
    });
  }
  return tarballs;
}

/** The conditions Node and TypeScript resolve a package with for its users. */
const PUBLISHED_CONDITIONS = new Set(['types', 'import', 'require', 'node', 'default']);

/**
 * Every file a manifest can resolve to for a user: `main`, `types`, `bin` and
 * each target of `exports` under the standard conditions. The repo-only
 * `oversight:source` branch is skipped (no user's Node enables it); any other
 * condition is reported, since it would be an untested way in.
 */
export function publishedTargets(manifest: Record<string, unknown>): {
  targets: string[];
  unknown: string[];
} {
  const targets: string[] = [];
  const unknown: string[] = [];
  for (const field of ['main', 'types', 'typings', 'module'])
    if (typeof manifest[field] === 'string') targets.push(manifest[field] as string);
  const { bin } = manifest;
  if (typeof bin === 'string') targets.push(bin);
  else if (bin && typeof bin === 'object') targets.push(...(Object.values(bin) as string[]));
  const walk = (value: unknown, where: string) => {
    if (typeof value === 'string') targets.push(value);
    else if (Array.isArray(value)) for (const v of value) walk(v, where);
    else if (value && typeof value === 'object')
      for (const [key, inner] of Object.entries(value)) {
        if (key === SOURCE_CONDITION) continue;
        if (key.startsWith('.')) walk(inner, key);
        else if (PUBLISHED_CONDITIONS.has(key)) walk(inner, where);
        else unknown.push(`${where}: ${key}`);
      }
  };
  walk(manifest.exports, '.');
  return { targets, unknown };
}

/** The version of a package installed in the repo, so the app gets the same one offline from npm's cache. */
export function repoVersion(name: string): string {
  const file = path.join(ROOT, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Creates `dir` as an npm project and installs the tarballs plus `extra` package specs into it. */
export async function installApp(
  dir: string,
  tarballs: readonly Tarball[],
  extra: readonly string[],
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'packed-app', private: true, version: '1.0.0' })}\n`,
  );
  await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs.map((t) => t.file), ...extra],
    { cwd: dir, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
  );
}

/**
 * A Node binary of the given major line: this repo's own when it matches, else
 * the `node@<major>` npm package installed once into a cache outside the repo.
 */
export async function nodeBinary(major: number): Promise<string> {
  const own = path.join(ROOT, 'node_modules', '.bin', 'node');
  if (existsSync(own)) {
    const { stdout } = await run(own, ['--version']);
    if (stdout.startsWith(`v${major}.`)) return own;
  }
  const cache = path.join(os.tmpdir(), `oversight-node${major}-cache`);
  const bin = path.join(cache, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(cache, { recursive: true });
    writeFileSync(path.join(cache, 'package.json'), '{"private":true}\n');
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `node@${major}`], {
      cwd: cache,
      env: cleanEnv(),
      timeout: 300_000,
    });
  }
  return bin;
}
