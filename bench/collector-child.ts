/**
 * A collector in its own process for the end-to-end benchmarks, so its memory
 * and CPU are its own and can be read apart from the load generator's.
 * Started by `collector-process.ts` with an IPC channel; also prints its URL on
 * stdout. Argument: JSON `{ dir, evaluators, transformWorkers? }`; `OVERSIGHT_TRANSFORM_WORKERS`
 * stands in for `transformWorkers` when the argument lacks it.
 */
import path from 'node:path';
import { resolveConfig } from '../collector/src/config.ts';
import { controlFileFor, startCollector } from '../collector/src/service.ts';
import { processStats, resetLoopDelay } from './process-stats.ts';

const { dir, evaluators, transformWorkers } = JSON.parse(process.argv[2] ?? '{}') as {
  dir: string;
  evaluators: string;
  transformWorkers?: number;
};
// The parent may pass the setting in the environment, as the CLI takes it; unset keeps the collector's default.
const workers = transformWorkers ?? process.env.OVERSIGHT_TRANSFORM_WORKERS;
const config = resolveConfig({
  port: 0,
  dataDir: path.join(dir, 'data'),
  insecureDev: true,
  evaluators,
  ...(workers === undefined || workers === '' ? {} : { transformWorkers: Number(workers) }),
  // The trace stage (groundedness) is on by default; the trace-quality section compares it off.
  ...(process.env.OVERSIGHT_TRACE_QUALITY ? { traceQuality: process.env.OVERSIGHT_TRACE_QUALITY } : {}),
});
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
