import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type MockLlm, startMockLlm } from '../../examples/mock-llm/src/index.ts';
import {
  getOversight,
  hasAppTracerProvider,
  init,
  oversightInstrumentations,
  oversightSpanProcessor,
} from '../src/init.ts';
import { instrument } from '../src/instrumentation/instrument.ts';
import { resetDiagnostics, silenceDiagnostics } from '../src/safe.ts';

let mock: MockLlm;
beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());

describe('init', () => {
  it('registers a provider once, returns the same handle twice, and shuts down cleanly', async () => {
    const exporter = new InMemorySpanExporter();
    const handle = init({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    expect(handle.registered).toBe(true);
    expect(init()).toBe(handle);
    expect(hasAppTracerProvider()).toBe(true);
    trace.getTracer('t').startSpan('manual').end();
    await handle.flush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['manual']);
    const listeners = process.listenerCount('beforeExit');
    await handle.shutdown();
    expect(getOversight()).toBeUndefined();
    expect(hasAppTracerProvider()).toBe(false);
    // Its exit flush goes with it: init() and shutdown() in a loop (tests, hot reload) leak no listeners.
    expect(process.listenerCount('beforeExit')).toBe(listeners - 1);
  });

  it('keeps the SDK default resource: a service.name fallback and telemetry.sdk.*', async () => {
    const saved = process.env.OTEL_SERVICE_NAME;
    delete process.env.OTEL_SERVICE_NAME;
    try {
      for (const [options, service] of [
        [{}, /^unknown_service:/],
        [{ serviceName: 'checkout' }, /^checkout$/],
      ] as const) {
        const exporter = new InMemorySpanExporter();
        const handle = init({ ...options, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
        trace.getTracer('t').startSpan('manual').end();
        const resource = exporter.getFinishedSpans()[0]?.resource.attributes ?? {};
        await handle.shutdown();
        expect(String(resource['service.name'])).toMatch(service);
        expect(resource['telemetry.sdk.language']).toBe('nodejs');
        expect(resource['telemetry.distro.name']).toBe('@oversight/sdk');
      }
    } finally {
      if (saved !== undefined) process.env.OTEL_SERVICE_NAME = saved;
    }
  });

  it("tells the API's no-op provider apart when a minifier renamed its class", () => {
    const noop = new ProxyTracerProvider().getDelegate().constructor;
    const name = Object.getOwnPropertyDescriptor(noop, 'name');
    Object.defineProperty(noop, 'name', { value: 'e' });
    try {
      expect(hasAppTracerProvider()).toBe(false);
    } finally {
      Object.defineProperty(noop, 'name', name as PropertyDescriptor);
    }
  });

  it('never replaces an app tracer provider; the offered processor plugs into it', async () => {
    const exporter = new InMemorySpanExporter();
    // The app's own setup, with Oversight's processor added as the docs show.
    const appProvider = new TracerProvider({
      spanProcessors: [oversightSpanProcessor({ exporter: exporter })],
    });
    trace.setGlobalTracerProvider(appProvider);
    silenceDiagnostics();
    const handle = init({ flushOnExit: false });
    silenceDiagnostics(false);
    expect(handle.registered).toBe(false);
    expect(handle.tracerProvider).toBeUndefined();
    expect((trace.getTracerProvider() as unknown as { getDelegate(): unknown }).getDelegate()).toBe(
      appProvider,
    );

    const client = instrument(new OpenAI({ apiKey: 'k', baseURL: `${mock.url}/v1` }));
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await appProvider.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['chat gpt-4o']);
    await handle.shutdown();
    await appProvider.shutdown();
    trace.disable();
  });

  it('does not throw on bad configuration: one diagnostic, an inert handle', async () => {
    silenceDiagnostics();
    const handle = init({ endpoint: 'not a url', flushOnExit: false });
    silenceDiagnostics(false);
    expect(handle.registered).toBe(false);
    await expect(handle.flush()).resolves.toBeUndefined();
    await handle.shutdown();
    expect(hasAppTracerProvider()).toBe(false);
  });

  it('says what is wrong with the options in one line, naming each bad option', async () => {
    const lines = stderrLines();
    try {
      const handle = init({
        endpoint: 'not a url',
        prices: { 'my-model': { input: -1, output: 1 } },
        flushOnExit: false,
      });
      await handle.shutdown();
      expect(oversightInstrumentations({ prices: { 'my-model': { input: 1, output: -2 } } })).toEqual([]);
    } finally {
      vi.restoreAllMocks();
    }
    expect(lines).toEqual([
      '[oversight] init failed (ZodError: endpoint: expected an http:// or https:// URL; prices.my-model.input: Too small: expected number to be >=0); tracing is off\n',
      '[oversight] oversightInstrumentations() failed (ZodError: my-model.output: Too small: expected number to be >=0); LLM calls are not traced\n',
    ]);
  });

  it('refuses an endpoint without its scheme, which would fail only on export', async () => {
    const lines = stderrLines();
    try {
      for (const endpoint of ['localhost:4318', 'collector.internal:4318', 'ftp://127.0.0.1:4318']) {
        const handle = init({ endpoint, flushOnExit: false });
        expect(handle.registered, endpoint).toBe(false);
        await handle.shutdown();
      }
    } finally {
      vi.restoreAllMocks();
    }
    expect(lines[0]).toBe(
      '[oversight] init failed (ZodError: endpoint: expected an http:// or https:// URL); tracing is off\n',
    );
  });

  it('refuses an OVERSIGHT_ENDPOINT without http:// or https:// as it refuses the option', async () => {
    const saved = process.env.OVERSIGHT_ENDPOINT;
    const lines = stderrLines();
    try {
      for (const endpoint of ['localhost:4318', 'grpc://collector.internal:4317']) {
        resetDiagnostics();
        process.env.OVERSIGHT_ENDPOINT = endpoint;
        const handle = init({ flushOnExit: false });
        expect(handle.registered, endpoint).toBe(false);
        await handle.shutdown();
      }
      // The option, when given, is the endpoint: the variable is not read.
      const handle = init({ endpoint: 'http://127.0.0.1:9', flushOnExit: false });
      expect(handle.registered).toBe(true);
      await handle.shutdown();
    } finally {
      vi.restoreAllMocks();
      if (saved === undefined) delete process.env.OVERSIGHT_ENDPOINT;
      else process.env.OVERSIGHT_ENDPOINT = saved;
    }
    const line =
      '[oversight] init failed (Error: OVERSIGHT_ENDPOINT: expected an http:// or https:// URL); tracing is off\n';
    expect(lines).toEqual([line, line]);
  });

  it('oversightSpanProcessor() refuses such an endpoint in one line and exports nothing', async () => {
    const saved = process.env.OVERSIGHT_ENDPOINT;
    const lines = stderrLines();
    const provider = (endpoint?: string) =>
      new TracerProvider({ spanProcessors: [oversightSpanProcessor(endpoint ? { endpoint } : {})] });
    try {
      resetDiagnostics();
      const given = provider('localhost:4318');
      given.getTracer('t').startSpan('s').end();
      await expect(given.forceFlush()).resolves.toBeUndefined();
      await given.shutdown();
      resetDiagnostics();
      process.env.OVERSIGHT_ENDPOINT = 'grpc://collector.internal:4317';
      await provider().shutdown();
    } finally {
      vi.restoreAllMocks();
      if (saved === undefined) delete process.env.OVERSIGHT_ENDPOINT;
      else process.env.OVERSIGHT_ENDPOINT = saved;
    }
    expect(lines).toEqual([
      '[oversight] oversightSpanProcessor(): endpoint: expected an http:// or https:// URL; spans are not sent to Oversight\n',
      '[oversight] oversightSpanProcessor(): OVERSIGHT_ENDPOINT: expected an http:// or https:// URL; spans are not sent to Oversight\n',
    ]);
  });

  it('names misspelt options in one line, with the option meant, and applies the rest', async () => {
    const lines = stderrLines();
    const exporter = new InMemorySpanExporter();
    let handle: ReturnType<typeof init> | undefined;
    try {
      // Plain JavaScript apps: nothing else catches these.
      const options = { maskPII: true, endpont: 'http://127.0.0.1:4318', colour: 'blue' } as object;
      handle = init({
        ...options,
        serviceName: 'checkout',
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      });
      expect(handle.registered).toBe(true);
      trace.getTracer('t').startSpan('manual').end();
      expect(exporter.getFinishedSpans()[0]?.resource.attributes['service.name']).toBe('checkout');
    } finally {
      vi.restoreAllMocks();
      await handle?.shutdown();
    }
    expect(lines).toEqual([
      '[oversight] init() ignores unknown options: maskPII (did you mean maskPii?), endpont (did you mean endpoint?), colour\n',
    ]);
  });

  it('sets up from the environment, saying so once, when given no options object', async () => {
    for (const given of ['http://127.0.0.1:4318', null]) {
      const lines = stderrLines();
      let handle: ReturnType<typeof init> | undefined;
      try {
        handle = init(given as never);
        expect(handle.registered).toBe(true);
      } finally {
        vi.restoreAllMocks();
        await handle?.shutdown();
      }
      expect(lines).toEqual([
        `[oversight] init() takes an options object ({ endpoint, apiKey, serviceName }), not ${given === null ? 'null' : 'a string'}; set up from the environment\n`,
      ]);
    }
  });

  it('says once that a second init() ignores its options', async () => {
    const exporter = new InMemorySpanExporter();
    const handle = init({ spanProcessors: [new SimpleSpanProcessor({ exporter })], flushOnExit: false });
    const lines = stderrLines();
    try {
      expect(init()).toBe(handle);
      expect(init({ serviceName: 'checkout', apiKey: undefined, captureContent: false })).toBe(handle);
      expect(init({ serviceName: 'checkout' })).toBe(handle);
    } finally {
      vi.restoreAllMocks();
      await handle.shutdown();
    }
    expect(lines).toEqual([
      '[oversight] init() was already called (by @oversight/sdk/auto or earlier code); the options of this call are ignored: serviceName, captureContent\n',
    ]);
  });

  it('tries a collector that drops the connection once at flush(), not for seconds in the retry loop', async () => {
    const collector = await tcpCollector((socket) => socket.destroy());
    const lines = stderrLines();
    const handle = init({ endpoint: collector.url, flushOnExit: false });
    try {
      trace.getTracer('t').startSpan('manual').end();
      await handle.flush();
      await handle.shutdown();
    } finally {
      vi.restoreAllMocks();
      await collector.close();
    }
    expect(collector.connections()).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[oversight\] cannot export spans \(Error: /);
  });

  it('ends shutdown() after a short try when the collector accepts but never answers', async () => {
    const collector = await tcpCollector(() => {});
    const lines = stderrLines();
    const handle = init({ endpoint: collector.url, flushOnExit: false });
    try {
      trace.getTracer('t').startSpan('manual').end();
      await handle.shutdown();
    } finally {
      vi.restoreAllMocks();
      await collector.close();
    }
    expect(collector.connections()).toBe(1);
    expect(lines).toEqual([
      '[oversight] cannot export spans (Error: Request timed out); the app is unaffected, further failures are not logged\n',
    ]);
  });

  it('reads an endpoint given as the OTLP traces URL as the collector base', async () => {
    const paths: string[] = [];
    const server = createHttpServer((req, res) => {
      paths.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    const handle = init({ endpoint: `http://127.0.0.1:${port}/v1/traces/`, flushOnExit: false });
    try {
      trace.getTracer('t').startSpan('manual').end();
      await handle.flush();
    } finally {
      await handle.shutdown();
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(paths).toEqual(['/v1/traces']);
  });

  it('does nothing when disabled by OTEL_SDK_DISABLED', async () => {
    process.env.OTEL_SDK_DISABLED = 'true';
    try {
      const handle = init({ flushOnExit: false });
      expect(handle.registered).toBe(false);
      expect(hasAppTracerProvider()).toBe(false);
      await handle.shutdown();
    } finally {
      delete process.env.OTEL_SDK_DISABLED;
    }
  });
});

/** What the SDK writes to stderr from now on, one entry per write, until `vi.restoreAllMocks()`. */
function stderrLines(): string[] {
  resetDiagnostics();
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
}

/** A collector's address that accepts connections and hands each socket to `onSocket`; counts them. */
async function tcpCollector(onSocket: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
