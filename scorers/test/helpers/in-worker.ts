/**
 * Runs one exported function of a source module in a worker thread. A pattern that
 * backtracks holds the thread it runs on, and vitest's timeout cannot end a test whose
 * own thread is busy: run there, a scorer gone quadratic fails the test at the timeout
 * instead of passing it minutes later.
 */
import { Worker } from 'node:worker_threads';

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url).then((m) => parentPort.postMessage(m[workerData.name](...workerData.args)));
`;

const running = new Set<Worker>();

/** `module[name](...args)`, computed in a worker; the result must survive structured cloning. */
export function inWorker<T>(module: URL, name: string, ...args: unknown[]): Promise<T> {
  const worker = new Worker(SOURCE, { eval: true, workerData: { url: module.href, name, args } });
  running.add(worker);
  return new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)));
  }).finally(() => {
    running.delete(worker);
    void worker.terminate();
  });
}

/** Ends the workers of a test that timed out; for `afterEach`. */
export async function stopWorkers(): Promise<void> {
  await Promise.all([...running].map((w) => w.terminate()));
  running.clear();
}
