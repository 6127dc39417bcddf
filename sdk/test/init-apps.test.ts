import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../collector/test/helpers/ports.ts';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';

const run = promisify(execFile);
const appsDir = fileURLToPath(new URL('./apps/', import.meta.url));
const node = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
// The apps run the repo's sources: @oversight/* resolve to src/ under this condition (exports default to dist).
const SOURCE = '--conditions=oversight:source';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

let mock: MockLlm;
let receiver: Server;
let receiverUrl: string;
let closedPortUrl: string;
const received: Received[] = [];

/** A stand-in collector: counts OTLP requests and keeps their (gunzipped) protobuf bodies. */
function startReceiver(): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      if (req.method === 'POST' && req.url === '/v1/traces') received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function runApp(args: string[], env: Record<string, string>) {
  const { stdout, stderr } = await run(node, [SOURCE, ...args], {
    cwd: appsDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MOCK_LLM_URL: mock.url, ...env },
    timeout: 20_000,
  });
  return { stdout, stderr };
}

function spansText(): string {
  return Buffer.concat(received.map((r) => r.body)).toString('latin1');
}

beforeAll(async () => {
  mock = await startMockLlm();
  receiver = await startReceiver();
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  closedPortUrl = `http://127.0.0.1:${await closedPort()}`;
});
afterAll(async () => {
  await mock.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

describe('ESM app with node --import @oversight/sdk/auto', () => {
  it('prints the same as the bare app and exports GenAI spans with the API key', async () => {
    const bare = await runApp(['esm-app.mjs'], {});
    received.length = 0;
    const traced = await runApp(['--import', '@oversight/sdk/auto', 'esm-app.mjs'], {
      OVERSIGHT_ENDPOINT: receiverUrl,
      OVERSIGHT_API_KEY: 'ovs_test_key',
      OTEL_SERVICE_NAME: 'esm-fixture',
    });
    expect(bare.stdout).toContain('chat: This is a mock answer');
    expect(traced.stdout).toBe(bare.stdout);
    expect(traced.stderr).toBe('');
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received[0]?.headers.authorization).toBe('Bearer ovs_test_key');
    expect(received[0]?.headers['content-type']).toBe('application/x-protobuf');
    const text = spansText();
    for (const name of [
      'chat gpt-4o-mini',
      'embeddings text-embedding-3-small',
      'chat claude-haiku-4-5',
      'chat mock-error-400',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('esm-fixture');
    expect(text).toContain('gen_ai.usage.input_tokens');
    expect(text).toContain('gen_ai.response.time_to_first_chunk');
    expect(text).toContain('oversight.usage.cost_usd');
  });
});

describe('CommonJS app with require("@oversight/sdk/auto")', () => {
  it('prints the same as the bare app and exports GenAI spans', async () => {
    const bare = await runApp(['cjs-app.cjs'], {});
    received.length = 0;
    const traced = await runApp(['cjs-app.cjs'], { OVERSIGHT_AUTO: '1', OVERSIGHT_ENDPOINT: receiverUrl });
    expect(bare.stdout).toContain('anthropic stream: This is a mock answer');
    expect(traced.stdout).toBe(bare.stdout);
    expect(traced.stderr).toBe('');
    const text = spansText();
    expect(text).toContain('chat gpt-4o-mini');
    expect(text).toContain('chat claude-haiku-4-5');
    expect(text).toContain('gen_ai.output.messages');
  });
});

describe('app set up in code with init()', () => {
  it('traces the clients an ESM app imported, and a CommonJS app required, before init()', async () => {
    for (const [app, service] of [
      ['init-esm-app.mjs', 'init-esm-fixture'],
      ['init-cjs-app.cjs', 'init-cjs-fixture'],
    ] as const) {
      received.length = 0;
      const { stdout, stderr } = await runApp([app], { OVERSIGHT_ENDPOINT: receiverUrl });
      expect(stdout).toContain('chat: This is a mock answer');
      expect(stdout).toContain('anthropic: This is a mock answer');
      expect(stderr).toBe('');
      const text = spansText();
      expect(text).toContain(service);
      expect(text).toContain('chat gpt-4o-mini');
      expect(text).toContain('chat claude-haiku-4-5');
    }
  });
});

describe('collector down', () => {
  it('runs to completion with identical output and at most one diagnostic line', async () => {
    for (const [args, env] of [
      [['esm-app.mjs'], {}],
      [['cjs-app.cjs'], {}],
    ] as const) {
      const bare = await runApp([...args], env);
      const auto = args[0] === 'esm-app.mjs' ? ['--import', '@oversight/sdk/auto', ...args] : [...args];
      const traced = await runApp(auto, { ...env, OVERSIGHT_AUTO: '1', OVERSIGHT_ENDPOINT: closedPortUrl });
      expect(traced.stdout).toBe(bare.stdout);
      const lines = traced.stderr.split('\n').filter(Boolean);
      expect(lines.length).toBeLessThanOrEqual(1);
      expect(lines.every((l) => l.startsWith('[oversight] cannot export spans'))).toBe(true);
    }
  });
});
