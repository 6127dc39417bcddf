import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { autoPreloaded, patchLoadedModules } from '../src/instrumentation/loaded-modules.ts';
import { OpenAIInstrumentation } from '../src/instrumentation/openai/instrumentation.ts';
import { resetDiagnostics } from '../src/safe.ts';

const REPO_FILE = fileURLToPath(import.meta.url);
const chatCreate = () => OpenAI.Chat.Completions.prototype.create as unknown as { __wrapped?: boolean };

describe('autoPreloaded', () => {
  it('recognises --import, --require and -r of @oversight/sdk/auto, inline or separate', () => {
    expect(autoPreloaded(['--import', '@oversight/sdk/auto'])).toBe(true);
    expect(autoPreloaded(['--import=@oversight/sdk/auto'])).toBe(true);
    expect(autoPreloaded(['-r', '@oversight/sdk/auto'])).toBe(true);
    expect(autoPreloaded(['--require', '/app/node_modules/@oversight/sdk/dist/auto.cjs'])).toBe(true);
  });

  it('is false for other preloads and for the package merely named elsewhere', () => {
    expect(autoPreloaded([])).toBe(false);
    expect(autoPreloaded(['--import', 'tsx'])).toBe(false);
    expect(autoPreloaded(['--conditions', '@oversight/sdk/auto'])).toBe(false);
    expect(autoPreloaded(['--enable-source-maps', 'app.mjs'])).toBe(false);
  });
});

describe('patchLoadedModules', () => {
  let inst: OpenAIInstrumentation | undefined;
  let dir: string | undefined;

  afterEach(() => {
    inst?.disable();
    inst = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
    vi.restoreAllMocks();
    resetDiagnostics();
  });

  it("patches the app's own openai instance and disable() unpatches it", async () => {
    // The repo declares openai, so an app file inside it resolves and declares it.
    inst = new OpenAIInstrumentation({ enabled: false });
    expect(chatCreate().__wrapped).toBeFalsy();
    inst.enable();
    const outcomes = await patchLoadedModules([inst], { from: REPO_FILE });
    expect(outcomes).toEqual([
      { module: 'openai', status: 'patched', version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
    ]);
    expect(chatCreate().__wrapped).toBe(true);

    // A second pass (hooks or require got there first) leaves one wrapper.
    const wrapped = OpenAI.Chat.Completions.prototype.create;
    await patchLoadedModules([inst], { from: REPO_FILE });
    expect(OpenAI.Chat.Completions.prototype.create).toBe(wrapped);

    inst.disable();
    expect(chatCreate().__wrapped).toBeFalsy();
  });

  it('leaves a package the app does not declare alone, silently', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'oversight-loaded-'));
    // Resolvable (a node_modules copy of its package.json) but not in the app's dependencies.
    mkdirSync(path.join(dir, 'node_modules', 'openai'), { recursive: true });
    writeFileSync(
      path.join(dir, 'node_modules', 'openai', 'package.json'),
      '{"name":"openai","version":"7.0.0"}',
    );
    writeFileSync(path.join(dir, 'package.json'), '{"name":"app","dependencies":{"left-pad":"1"}}');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    inst = new OpenAIInstrumentation();
    const outcomes = await patchLoadedModules([inst], { from: path.join(dir, 'app.mjs') });
    expect(outcomes).toEqual([{ module: 'openai', status: 'not-a-dependency' }]);
    expect(stderr).not.toHaveBeenCalled();
  });

  it('says once to use instrument(client) when no instrumented package is reachable', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'oversight-bundled-'));
    writeFileSync(path.join(dir, 'package.json'), '{"name":"bundled-app"}');
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    inst = new OpenAIInstrumentation();
    const from = path.join(dir, 'bundle.mjs');
    expect(await patchLoadedModules([inst], { from })).toEqual([
      { module: 'openai', status: 'not-installed' },
    ]);
    await patchLoadedModules([inst], { from });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[oversight\] found none of openai .*instrument\(client\)/);
  });
});
