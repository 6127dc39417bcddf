import { afterAll, beforeAll } from 'vitest';
import type { ConfigInput } from '../../src/config.ts';
import { openServerStore, type ServerStore } from '../../src/store/clickhouse-store.ts';
import { type ChdbHttpServer, startChdbHttpServer } from '../helpers/chdb-http-server.ts';
import { startTestCollector } from '../helpers/collector.ts';
import { acquireChdbDataDir, releaseChdbDataDir } from '../helpers/store-backends.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface CollectorBehindProxy {
  /** Between the collector and ClickHouse: the test cuts it, loses its answers, restores it. */
  readonly proxy: TcpProxy;
  readonly collector: Awaited<ReturnType<typeof startTestCollector>>;
  /** Straight to the engine, never through the proxy: the test's own view of what landed. */
  readonly direct: ServerStore;
  /** The engine's last error answers, lost or not (for a test's failure message). */
  readonly engineErrors: () => readonly string[];
}

/**
 * The real service on the server backend (chdb behind its HTTP shim) reached
 * through a TCP proxy, scorers off; registers the suite's beforeAll/afterAll.
 * Read the fields inside tests, after beforeAll has set them.
 */
export function useCollectorBehindProxy(database: string, overrides: ConfigInput = {}): CollectorBehindProxy {
  let clickhouse: ChdbHttpServer | undefined;
  const stack = {} as { -readonly [K in keyof CollectorBehindProxy]: CollectorBehindProxy[K] };
  beforeAll(async () => {
    clickhouse = await startChdbHttpServer({ dataDir: await acquireChdbDataDir() });
    stack.proxy = await startTcpProxy({ host: '127.0.0.1', port: clickhouse.port });
    stack.direct = openServerStore({ url: clickhouse.url, database });
    const engine = clickhouse;
    stack.engineErrors = () => engine.recentErrors;
    stack.collector = await startTestCollector({
      clickhouseUrl: stack.proxy.url,
      database,
      evaluators: 'none',
      ...overrides,
    });
  });
  afterAll(async () => {
    // A test that failed with the proxy cut must not leave the collector's shutdown waiting on it.
    await stack.proxy?.restore();
    await stack.collector?.dispose();
    await stack.direct?.command(`DROP DATABASE IF EXISTS ${database}`);
    await stack.direct?.close();
    await stack.proxy?.close();
    await clickhouse?.close();
    await releaseChdbDataDir();
  });
  return stack;
}
