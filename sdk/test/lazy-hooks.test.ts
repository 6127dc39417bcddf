import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isWatched, LazyRequireHook, requireHooksActive } from '../src/lazy-hooks.ts';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const requireHere = createRequire(import.meta.url);

describe('LazyRequireHook', () => {
  // One test: the activation it checks happens once per process.
  it('loads require-in-the-middle on the first require of a watched package, and that require is hooked', () => {
    const seen: string[] = [];
    const dropped: string[] = [];
    const gone = new LazyRequireHook(['ms'], { internals: false }, (exports, name) => {
      dropped.push(name);
      return exports;
    });
    gone.unhook();
    const hook = new LazyRequireHook(['semver'], { internals: false }, (exports, name) => {
      seen.push(name);
      return exports;
    });
    expect(isWatched('semver')).toBe(true);
    expect(isWatched('semver/functions/satisfies.js')).toBe(true);
    expect(isWatched('semverish')).toBe(false);

    requireHere('zod');
    expect(requireHooksActive()).toBe(false);
    const semver = requireHere('semver') as { satisfies: unknown };
    expect(requireHooksActive()).toBe(true);
    // The require that activated it went through the real hook: its caller got the hooked exports.
    expect(seen).toEqual(['semver']);
    expect(typeof semver.satisfies).toBe('function');
    requireHere('ms');
    // Unhooked before it was ever made: never made.
    expect(dropped).toEqual([]);
    hook.unhook();
    requireHere('semver/functions/satisfies.js');
    expect(seen).toEqual(['semver']);
  });
});

describe('module hooks', () => {
  // In a child process: loader hooks and the import-in-the-middle registry are per process.
  it('load import-in-the-middle only when a listed package is imported, in time to hook that import', async () => {
    const { stdout } = await run(process.execPath, [path.join(HERE, 'apps', 'lazy-import-app.mjs')], {
      cwd: HERE,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(JSON.parse(stdout)).toEqual({
      before: false,
      afterOthers: false,
      after: true,
      names: ['openai'],
      client: 'function',
    });
  });
});
