/**
 * A collector in its own process for the end-to-end benchmarks, so its memory
 * and CPU are its own and can be read apart from the load generator's.
 * Started by `collector-process.ts` with an IPC channel; also prints its URL on
 * stdout. Argument: JSON `{ dir, evaluators }`.
 */
import path from 'node:path';
import { resolveConfig } from '../collector/src/config.ts';
import { controlFileFor, startCollector } from '../collector/src/service.ts';
import { processStats, resetLoopDelay } from './process-stats.ts';

const { dir, evaluators } = JSON.parse(process.argv[2] ?? '{}') as { dir: string; evaluators: string };
const config = resolveConfig({ port: 0, dataDir: path.join(dir, 'data'), insecureDev: true, evaluators });
const collector = await startCollector(config);
console.log(collector.url);

const send = (message: object) => process.send?.(message);
send({ type: 'ready', url: collector.url, controlFile: controlFileFor(config) });

process.on('message', async (message: { type: string }) => {
  if (message.type === 'stats') send({ type: 'stats', ...processStats() });
  if (message.type === 'reset') resetLoopDelay();
  if (message.type === 'stop') {
    await collector.close();
    send({ type: 'stopped', ...processStats() });
    process.disconnect();
  }
});
// The parent died without stopping us: do not linger holding a data dir.
process.on('disconnect', () => setTimeout(() => process.exit(0), 100).unref());
