import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ConfigInput, resolveConfig } from '../../src/config.ts';
import { type RunningCollector, startCollector } from '../../src/service.ts';

export const TEST_KEY = 'test-key-project-a';
export const OTHER_KEY = 'test-key-project-b';

/** A real collector on an ephemeral port with its own embedded store and log, removed on close. */
export async function startTestCollector(
  overrides: ConfigInput = {},
): Promise<RunningCollector & { dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'oversight-e2e-'));
  const collector = await startCollector(
    resolveConfig({
      port: 0,
      dataDir: path.join(dir, 'data'),
      apiKeys: `${TEST_KEY}=project-a,${OTHER_KEY}=project-b`,
      ...overrides,
    }),
  );
  return Object.assign(collector, {
    dir,
    async dispose() {
      await collector.close();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/** Polls until `check` returns a truthy value; rows reach ClickHouse asynchronously after the 200. */
export async function waitFor<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | null | undefined | false;
  do {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < deadline);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}
