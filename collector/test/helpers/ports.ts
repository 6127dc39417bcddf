/**
 * Ports for tests, shared by the collector's tests and those of the SDK and
 * the repo's start scripts (node:net only, so importing it loads nothing of
 * the collector).
 */
import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A local port nothing listens on: one the system just handed out and got
 * back, so a connection to it is refused.
 */
export async function closedPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}
