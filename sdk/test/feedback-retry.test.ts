import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FeedbackSchema,
  feedback,
  feedbackKind,
  isConnectionFailure,
  retryAfterMs,
} from '../src/feedback.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Close the connection without answering, as a collector going down mid-request does. */
  drop?: boolean;
}

let server: Server;
let endpoint: string;
let script: Answer[] = [];
let bodies: Array<{ id: string; kind?: string; correction?: string }> = [];
let arrivals: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      arrivals.push(Date.now());
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const answer = script.shift() ?? { status: 202 };
      if (answer.drop) {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.status === 202 ? '{"accepted":true}' : '{"error":"busy"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  script = [];
  bodies = [];
  arrivals = [];
});

describe('feedback retries', () => {
  it('retries a 429 after its Retry-After and a 503, with the same id each time', async () => {
    script = [
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 503, headers: { 'retry-after': '0' } },
    ];
    const result = await feedback({ traceId: TRACE, value: 'up' }, { endpoint });
    expect(result).toEqual({ ok: true, status: 202, attempts: 3 });
    expect(bodies).toHaveLength(3);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    // Retry-After: 1 is honoured (timer granularity allows a few ms early).
    expect((arrivals[1] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(990);
  });

  it('keeps a script alive through the pause between tries, so its top-level await settles', async () => {
    script = [{ status: 503, headers: { 'retry-after': '1' } }];
    // A script whose last act is to await feedback: nothing else holds the event loop open.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { feedback } from ${JSON.stringify(new URL('../src/feedback.ts', import.meta.url).href)};
         const r = await feedback({ traceId: '${TRACE}', value: 'up' }, { endpoint: '${endpoint}' });
         console.log(JSON.stringify(r));`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ ok: true, status: 202, attempts: 2 });
    expect(bodies).toHaveLength(2);
  });

  it('retries a connection the collector dropped, with the same id', async () => {
    script = [
      { status: 0, drop: true },
      { status: 0, drop: true },
    ];
    const result = await feedback({ traceId: TRACE, value: 'up' }, { endpoint });
    expect(result).toEqual({ ok: true, status: 202, attempts: 3 });
    expect(bodies).toHaveLength(3);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
  });

  it('says why a dropped connection failed once the retries are spent', async () => {
    script = [
      { status: 0, drop: true },
      { status: 0, drop: true },
    ];
    const result = await feedback({ traceId: TRACE, value: 'up' }, { endpoint, retries: 1 });
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.error).toMatch(/^TypeError: fetch failed \(\w+/);
    expect(bodies).toHaveLength(2);
  });

  it('does not retry other errors', async () => {
    script = [{ status: 400 }];
    const result = await feedback({ traceId: TRACE, value: 'up' }, { endpoint });
    expect(result.ok).toBe(false);
    expect(result.status).toBe(400);
    expect(result.attempts).toBe(1);
    expect(bodies).toHaveLength(1);
  });

  it('stops after the retry limit and reports the last status', async () => {
    script = Array.from({ length: 5 }, () => ({ status: 503, headers: { 'retry-after': '0' } }));
    const result = await feedback({ traceId: TRACE, value: 'down' }, { endpoint, retries: 2 });
    expect(result).toMatchObject({ ok: false, status: 503, attempts: 3 });
    expect(result.error).toContain('busy');
    expect(bodies).toHaveLength(3);
  });

  it('gives up at once when Retry-After exceeds the budget instead of holding the caller', async () => {
    script = [{ status: 429, headers: { 'retry-after': '3600' } }];
    // Waiting out the hour would time the test out: no clock needed to see it did not.
    const result = await feedback({ traceId: TRACE, value: 'up' }, { endpoint, retryBudgetMs: 2_000 });
    expect(result).toMatchObject({ ok: false, status: 429, attempts: 1 });
    expect(bodies).toHaveLength(1);
  });

  it('backs off without a Retry-After header', async () => {
    script = [{ status: 503 }];
    const result = await feedback({ traceId: TRACE, value: 'up' }, { endpoint });
    expect(result).toEqual({ ok: true, status: 202, attempts: 2 });
    expect((arrivals[1] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(240);
  });
});

/** fetch() errors as each runtime throws them (recorded from Node 24, Bun 1.4.4, Bun 1.3 and node-fetch 2). */
const coded = <E extends Error>(error: E, fields: Record<string, unknown>): E => Object.assign(error, fields);
const nodeFetchFailed = (code: string | undefined, message: string) =>
  new TypeError('fetch failed', { cause: coded(new Error(message), code ? { code } : {}) });

describe('which fetch failures are retried', () => {
  it('retries a refused or dropped connection whichever fetch implementation threw it', () => {
    const retried = {
      'node refused': nodeFetchFailed('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:4318'),
      'node dropped': new TypeError('fetch failed', {
        cause: coded(new Error('other side closed'), { name: 'SocketError', code: 'UND_ERR_SOCKET' }),
      }),
      'node connect timeout': nodeFetchFailed('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'),
      'bun 1.4 refused': coded(new TypeError('ECONNREFUSED: Unable to connect.'), { code: 'ECONNREFUSED' }),
      'bun 1.4 dropped': coded(new TypeError('ECONNRESET: The socket connection was closed'), {
        code: 'ECONNRESET',
      }),
      'bun 1.3 refused': coded(new Error('Unable to connect. Is the computer able to access the url?'), {
        code: 'ConnectionRefused',
        errno: 0,
      }),
      'bun 1.3 dropped': coded(new Error('The socket connection was closed unexpectedly.'), {
        code: 'ConnectionClosed',
      }),
      'node-fetch refused': coded(new Error('request failed, reason: connect ECONNREFUSED'), {
        name: 'FetchError',
        type: 'system',
        code: 'ECONNREFUSED',
      }),
    };
    const kept = {
      'node unknown host': nodeFetchFailed('ENOTFOUND', 'getaddrinfo ENOTFOUND collector.invalid'),
      'node bad scheme': nodeFetchFailed(undefined, 'unknown scheme'),
      'node invalid option': nodeFetchFailed('UND_ERR_INVALID_ARG', 'invalid keepAlive'),
      'bun unknown host': coded(new TypeError('getaddrinfo ENOTFOUND collector.invalid'), {
        code: 'ENOTFOUND',
      }),
      timeout: new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      'not an error': 'ECONNREFUSED',
    };
    const verdicts = (errors: Record<string, unknown>) =>
      Object.entries(errors).map(([what, error]) => [what, isConnectionFailure(error)]);
    expect(verdicts(retried)).toEqual(Object.keys(retried).map((what) => [what, true]));
    expect(verdicts(kept)).toEqual(Object.keys(kept).map((what) => [what, false]));
  });

  it('retries a refused connection, and sends again once the collector is back', async () => {
    // Older Bun's fetch on a collector restarting: a plain Error with its own code, no cause.
    const real = globalThis.fetch;
    let calls = 0;
    globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
      if (++calls === 1)
        return Promise.reject(coded(new Error('Unable to connect.'), { code: 'ConnectionRefused' }));
      return real(...args);
    }) as typeof fetch;
    try {
      const result = await feedback({ traceId: TRACE, value: 'up' }, { endpoint });
      expect(result).toEqual({ ok: true, status: 202, attempts: 2 });
      expect(bodies).toHaveLength(1);
    } finally {
      globalThis.fetch = real;
    }
  });

  it("says a refused connection's code when the retries are spent", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const result = await feedback(
      { traceId: TRACE, value: 'up' },
      { endpoint: `http://127.0.0.1:${port}`, retries: 1 },
    );
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.error).toContain('ECONNREFUSED');
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP dates, and ignores junk', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('-3', now)).toBeUndefined();
  });
});

describe('implicit feedback kinds', () => {
  it('sends regenerate, copy and edit with the correction', async () => {
    expect((await feedback({ traceId: TRACE, kind: 'regenerate' }, { endpoint })).ok).toBe(true);
    expect((await feedback({ traceId: TRACE, kind: 'copy' }, { endpoint })).ok).toBe(true);
    const edit = await feedback(
      { traceId: TRACE, kind: 'edit', correction: 'Open Settings › Security.' },
      { endpoint },
    );
    expect(edit.ok).toBe(true);
    expect(bodies.map((b) => [b.kind, b.correction])).toEqual([
      ['regenerate', undefined],
      ['copy', undefined],
      ['edit', 'Open Settings › Security.'],
    ]);
  });

  it('validates kinds: an edit needs its correction, a rating its value', () => {
    const ok = (body: unknown) => FeedbackSchema.safeParse(body).success;
    expect(ok({ traceId: TRACE, kind: 'edit' })).toBe(false);
    expect(ok({ traceId: TRACE, kind: 'copy', correction: 'x' })).toBe(false);
    expect(ok({ traceId: TRACE, kind: 'thumbs' })).toBe(false);
    expect(ok({ traceId: TRACE, kind: 'thumbs', value: 3 })).toBe(false);
    expect(ok({ traceId: TRACE })).toBe(false);
    expect(ok({ traceId: TRACE, kind: 'comment' })).toBe(false);
    expect(ok({ traceId: TRACE, kind: 'comment', comment: 'hm' })).toBe(true);
    expect(ok({ traceId: TRACE, kind: 'nudge' })).toBe(false);
    expect(feedbackKind(FeedbackSchema.parse({ traceId: TRACE, value: 4 }))).toBe('score');
    expect(feedbackKind(FeedbackSchema.parse({ traceId: TRACE, value: 'down' }))).toBe('thumbs');
    expect(feedbackKind(FeedbackSchema.parse({ traceId: TRACE, kind: 'copy' }))).toBe('copy');
  });
});
