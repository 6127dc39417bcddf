#!/usr/bin/env node
/**
 * Starts the mock on `--port N` / `PORT` / `MOCK_LLM_PORT` (default 8787) and
 * prints its URL. Point clients at `${url}/v1` with any API key.
 */
import { parseArgs } from 'node:util';
import { startMockLlm } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'latency-ms': { type: 'string' },
    'chunk-delay-ms': { type: 'string' },
  },
});

const env = process.env;
const port = Number(values.port ?? env.MOCK_LLM_PORT ?? env.PORT ?? 8787);
const mock = await startMockLlm({
  port,
  host: values.host ?? env.MOCK_LLM_HOST ?? '127.0.0.1',
  latencyMs: Number(values['latency-ms'] ?? env.MOCK_LLM_LATENCY_MS ?? 0),
  chunkDelayMs: Number(values['chunk-delay-ms'] ?? env.MOCK_LLM_CHUNK_DELAY_MS ?? 0),
});
console.log(mock.url);

const stop = () => {
  mock.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
