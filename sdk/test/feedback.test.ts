import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ContentPolicy } from '../src/content.ts';
import { configureFeedback, FeedbackSchema, feedback } from '../src/feedback.ts';
import { getDefaultTelemetry, setDefaultTelemetry } from '../src/instrumentation/llm-span.ts';
import { resetDiagnostics } from '../src/safe.ts';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: unknown;
}

const TRACE = '4BF92F3577B34DA6A3CE929D0E0E4736';
const SPAN = '00f067aa0ba902b7';

let server: Server;
let endpoint: string;
let received: Received[] = [];
let answer = { status: 202, body: '{"accepted":true}' };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  received = [];
  answer = { status: 202, body: '{"accepted":true}' };
  configureFeedback({});
  delete process.env.OVERSIGHT_ENDPOINT;
  delete process.env.OVERSIGHT_API_KEY;
});

describe('feedback', () => {
  it('posts validated JSON with the bearer key to /v1/feedback', async () => {
    const result = await feedback(
      {
        traceId: TRACE,
        spanId: SPAN,
        value: 'down',
        comment: 'wrong answer',
        userId: 'u-1',
        metadata: { page: 'faq' },
      },
      { endpoint: `${endpoint}/`, apiKey: 'key-123' },
    );
    expect(result).toEqual({ ok: true, status: 202, attempts: 1 });
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/feedback');
    expect(req?.headers.authorization).toBe('Bearer key-123');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.body).toEqual({
      // An idempotency key per call, so a resent request is stored once.
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      traceId: TRACE.toLowerCase(),
      spanId: SPAN,
      value: 'down',
      comment: 'wrong answer',
      userId: 'u-1',
      metadata: { page: 'faq' },
    });
  });

  it('takes endpoint and key from configureFeedback, then from the environment', async () => {
    process.env.OVERSIGHT_ENDPOINT = endpoint;
    process.env.OVERSIGHT_API_KEY = 'from-env';
    expect((await feedback({ traceId: TRACE, value: 4 })).ok).toBe(true);
    configureFeedback({ endpoint, apiKey: 'from-init' });
    expect((await feedback({ traceId: TRACE, value: 0.5 })).ok).toBe(true);
    expect(received.map((r) => r.headers.authorization)).toEqual(['Bearer from-env', 'Bearer from-init']);
    expect(received.map((r) => (r.body as { value: unknown }).value)).toEqual([4, 0.5]);
  });

  it('posts to the collector base when given the OTLP traces URL', async () => {
    expect((await feedback({ traceId: TRACE, value: 'up' }, { endpoint: `${endpoint}/v1/traces` })).ok).toBe(
      true,
    );
    expect(received.map((r) => r.url)).toEqual(['/v1/feedback']);
  });

  it('goes where the spans go in an app configured the OpenTelemetry way', async () => {
    const saved = { ...process.env };
    try {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
      process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-team=search,Authorization=Bearer%20otel-key';
      expect((await feedback({ traceId: TRACE, value: 'up' })).ok).toBe(true);
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${endpoint}/v1/traces`;
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9';
      expect((await feedback({ traceId: TRACE, value: 'down' })).ok).toBe(true);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
    expect(received.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/v1/feedback', 'Bearer otel-key'],
      ['/v1/feedback', 'Bearer otel-key'],
    ]);
  });

  it('rejects a bad body locally without sending anything', async () => {
    const bad = await feedback({ traceId: 'not-a-trace', value: 'meh' as 'up' }, { endpoint });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/traceId/);
    expect(bad.error).toMatch(/value/);
    const zero = await feedback({ traceId: '0'.repeat(32), value: 'up' }, { endpoint });
    expect(zero.ok).toBe(false);
    expect(received).toHaveLength(0);
  });

  it('reports a collector refusal with its status and message', async () => {
    answer = { status: 401, body: '{"error":"unknown api key"}' };
    const result = await feedback({ traceId: TRACE, value: 'up' }, { endpoint, apiKey: 'wrong' });
    expect(result.ok).toBe(false);
    expect(result.status).toBe(401);
    expect(result.error).toContain('unknown api key');
  });

  it('resolves with an error instead of throwing when the collector is unreachable', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const result = await feedback(
      { traceId: TRACE, value: 'up' },
      { endpoint: `http://127.0.0.1:${port}`, retries: 1 },
    );
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('does not retry what a retry cannot fix: a bad endpoint or option', async () => {
    const bad = await feedback({ traceId: TRACE, value: 'up' }, { endpoint: 'not a url' });
    expect(bad).toEqual({ ok: false, error: 'endpoint: expected an http:// or https:// URL' });
    const negative = await feedback({ traceId: TRACE, value: 'up' }, { endpoint, timeoutMs: -1 });
    expect(negative).toMatchObject({ ok: false, attempts: 1 });
    expect(received).toHaveLength(0);
  });

  it('says once, in one line, why feedback was not taken, so an app that ignores the result still learns', async () => {
    resetDiagnostics();
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      // currentTraceId() read outside any span, as withContext() alone leaves it.
      const outside = undefined as unknown as string;
      await feedback({ traceId: outside, value: 'up' }, { endpoint });
      await feedback({ traceId: outside, value: 'down' }, { endpoint });
      answer = { status: 401, body: '{"error":"unknown api key"}' };
      await feedback({ traceId: TRACE, value: 'up' }, { endpoint, apiKey: 'wrong' });
      await feedback({ traceId: TRACE, value: 'up' }, { endpoint, apiKey: 'wrong' });
    } finally {
      vi.restoreAllMocks();
      resetDiagnostics();
    }
    expect(lines).toEqual([
      '[oversight] feedback() sent nothing: invalid feedback: ✖ Invalid input: expected string, received undefined → at traceId; currentTraceId() is undefined outside a span: read it inside workflow() or agent()\n',
      '[oversight] cannot send feedback (collector answered 401: {"error":"unknown api key"}); the app is unaffected, further failures are not logged\n',
    ]);
  });

  it('says in one line that an endpoint without http:// or https:// is none, from the option or OVERSIGHT_ENDPOINT', async () => {
    resetDiagnostics();
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const results: unknown[] = [];
    try {
      for (const bad of ['localhost:4318', 'grpc://127.0.0.1:4317']) {
        resetDiagnostics();
        process.env.OVERSIGHT_ENDPOINT = bad;
        results.push(await feedback({ traceId: TRACE, value: 'up' }, { retries: 0 }));
      }
      results.push(await feedback({ traceId: TRACE, value: 'up' }, { endpoint: 'localhost:4318' }));
      // The option, when given, is the endpoint: the variable is not read.
      results.push(await feedback({ traceId: TRACE, value: 'up' }, { endpoint }));
    } finally {
      vi.restoreAllMocks();
      resetDiagnostics();
    }
    const fromEnv = { ok: false, error: 'OVERSIGHT_ENDPOINT: expected an http:// or https:// URL' };
    expect(results).toEqual([
      fromEnv,
      fromEnv,
      { ok: false, error: 'endpoint: expected an http:// or https:// URL' },
      { ok: true, status: 202, attempts: 1 },
    ]);
    const line = `[oversight] cannot send feedback (${fromEnv.error}); the app is unaffected, further failures are not logged\n`;
    expect(lines).toEqual([line, line]);
    expect(received).toHaveLength(1);
  });

  it('resolves with an error when given something that is not an object at all', async () => {
    const result = await feedback(null as unknown as { traceId: string; value: 'up' }, { endpoint });
    expect(result.ok).toBe(false);
  });
});

describe("the user's own words under the app's content policy", () => {
  /** Sends `input` under a content policy of `options` and returns the body the collector got. */
  async function sentUnder(options: ConstructorParameters<typeof ContentPolicy>[0], input: object) {
    const previous = getDefaultTelemetry();
    setDefaultTelemetry({ ...previous, content: new ContentPolicy(options) });
    try {
      const result = await feedback({ traceId: TRACE, ...input } as Parameters<typeof feedback>[0], {
        endpoint,
      });
      expect(result.ok).toBe(true);
    } finally {
      setDefaultTelemetry(previous);
    }
    return received.at(-1)?.body as Record<string, unknown>;
  }

  it('redacts a correction and a comment as it redacts prompts', async () => {
    const redact = (t: string) => t.replaceAll(/\d{4}-\d{4}/g, '[ACCOUNT]');
    const edit = await sentUnder(
      { redact },
      { kind: 'edit', correction: 'Account 1234-5678 is overdrawn.', comment: 'it is 1234-5678' },
    );
    expect(edit).toMatchObject({ correction: 'Account [ACCOUNT] is overdrawn.', comment: 'it is [ACCOUNT]' });
  });

  it('sends none of them when content capture is off', async () => {
    const edit = await sentUnder(
      { captureContent: false },
      { kind: 'edit', correction: 'Call me on 415 555 0133.', comment: 'my number is 415 555 0133' },
    );
    // An edit must carry a correction: the placeholder the content policy withholds text with.
    expect(edit.correction).toBe('[oversight: content withheld]');
    expect(edit).not.toHaveProperty('comment');
    expect(JSON.stringify(edit)).not.toContain('555');
    const comment = await sentUnder(
      { captureContent: false },
      { kind: 'comment', comment: 'call 415 555 0133' },
    );
    expect(comment.comment).toBe('[oversight: content withheld]');
  });
});

describe('FeedbackSchema', () => {
  it('is the contract the collector validates with', () => {
    expect(FeedbackSchema.parse({ traceId: TRACE, value: 'up' })).toEqual({
      traceId: TRACE.toLowerCase(),
      value: 'up',
    });
    expect(FeedbackSchema.safeParse({ traceId: TRACE, value: Number.POSITIVE_INFINITY }).success).toBe(false);
    expect(FeedbackSchema.safeParse({ traceId: TRACE, spanId: 'xyz', value: 1 }).success).toBe(false);
    expect(
      FeedbackSchema.safeParse({ traceId: TRACE, value: 'up', comment: 'c'.repeat(10_001) }).success,
    ).toBe(false);
  });
});
