/**
 * The three ways the overhead bench and the profiler make the same
 * `chat.completions.create` call: the bare client, the client under Oversight's
 * instrumentation, and under `@traceloop/instrumentation-openai` (OpenLLMetry).
 * One OpenAI client and one tracer provider serve all three; switching patches
 * and unpatches the same prototype, so nothing but the instrumentation differs.
 *
 * Both instrumentations end their spans into the same BatchSpanProcessor that
 * `init()` builds for an app (same queue, same timer), whose exporter discards:
 * the OTLP serialisation a real exporter does runs on the batch timer, off the
 * call path, for both alike, so leaving it out changes neither side.
 *
 * The mock LLM runs in its own process, as a provider does: CPU per call then
 * counts only the app's work, not the server's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { isWrapped } from '@opentelemetry/instrumentation';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { OpenAIInstrumentation as TraceloopOpenAI } from '@traceloop/instrumentation-openai';
import OpenAI from 'openai';
import { APIPromise } from 'openai/core/api-promise';
import { Stream } from 'openai/core/streaming';
import { init, type OversightHandle } from '../src/init.ts';
import {
  classesFromClientClass,
  OpenAIInstrumentation,
} from '../src/instrumentation/openai/instrumentation.ts';

export type Variant = 'bare' | 'oversight' | 'openllmetry';
export const VARIANTS: readonly Variant[] = ['bare', 'oversight', 'openllmetry'];

export class DiscardExporter implements SpanExporter {
  spans = 0;
  last: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.spans += spans.length;
    this.last = spans;
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

export interface Contenders {
  use(v: Variant): void;
  /** One call as an app makes it; streamed calls are drained chunk by chunk. */
  call(i: number): Promise<void>;
  sink: DiscardExporter;
  handle: OversightHandle;
  close(): Promise<void>;
}

const MOCK_MAIN = fileURLToPath(new URL('./mock-process.ts', import.meta.url));

/** Starts the mock LLM in a child process (same Node binary) and resolves with its URL. */
export async function startMockProcess(): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=oversight:source', MOCK_MAIN, '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.startsWith('http'));
      if (line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`mock LLM exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * `http`: every call goes over loopback HTTP to the mock process, as in an app.
 * `replay`: the first call of each distinct request goes to the mock, later
 * ones get its recorded answer from memory through the client's `fetch`
 * option, so the client still parses real HTTP responses and SSE streams but
 * no socket is involved: what is left of the variance is the client and the
 * instrumentation, which makes small differences measurable on a busy machine.
 * `stub`: the client's `post` itself answers, with the recorded body already
 * parsed per call (`JSON.parse`, or a real `Stream` over the recorded events),
 * wrapped in a real APIPromise: the client's request building and HTTP
 * parsing are gone, `create()` and everything the instrumentations hook stay,
 * so almost all that is measured is the instrumentation (and the OTel SDK).
 */
export type Transport = 'http' | 'replay' | 'stub';

/** A `fetch` that asks the real one once per distinct request and replays the answer after that. */
export function replayingFetch(): typeof fetch {
  const recorded = new Map<string, { status: number; headers: [string, string][]; body: Uint8Array }>();
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const key = `${init?.method ?? 'GET'} ${url} ${typeof init?.body === 'string' ? init.body : ''}`;
    let hit = recorded.get(key);
    if (!hit) {
      const r = await fetch(input, init);
      hit = {
        status: r.status,
        headers: [...r.headers.entries()],
        body: new Uint8Array(await r.arrayBuffer()),
      };
      recorded.set(key, hit);
    }
    return new Response(hit.body, { status: hit.status, headers: hit.headers });
  };
}

type Recorded = { json: string } | { events: string[] };

/** Replaces `client.post` with recorded answers (first call of each distinct request asks the mock). */
function stubPost(client: OpenAI, baseURL: string): void {
  const recorded = new Map<string, Promise<Recorded>>();
  const record = async (path: string, body: unknown): Promise<Recorded> => {
    const r = await fetch(`${baseURL}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (!(body as { stream?: boolean }).stream) return { json: text };
    const events = text
      .split('\n\n')
      .map((e) => e.replace(/^data: /, '').trim())
      .filter((e) => e && e !== '[DONE]');
    return { events };
  };
  const response = new Response(null, { headers: { 'x-request-id': 'req_bench' } });
  (client as unknown as { post: unknown }).post = (path: string, opts: unknown) => {
    const props = Promise.resolve(opts).then(async (o) => {
      const options = o as { body?: unknown; stream?: boolean };
      const key = `${path} ${JSON.stringify(options.body)}`;
      let hit = recorded.get(key);
      if (!hit) {
        hit = record(path, options.body);
        recorded.set(key, hit);
      }
      return { response, options, controller: new AbortController(), recorded: await hit };
    });
    return new APIPromise(client, props as never, async (_client, p) => {
      const rec = (p as unknown as { recorded: Recorded }).recorded;
      if ('json' in rec) return JSON.parse(rec.json);
      const controller = (p as unknown as { controller: AbortController }).controller;
      return new Stream(
        async function* events() {
          for (const e of rec.events) yield JSON.parse(e);
        },
        controller,
        client,
      );
    });
  };
}

/**
 * `appAsksUsage`: the streamed call sets `stream_options.include_usage` itself,
 * so every contender gets the same bytes (Oversight otherwise asks for the
 * usage chunk on the app's behalf, which costs one more event to decode).
 */
export async function setupContenders(
  stream: boolean,
  transport: Transport = 'http',
  appAsksUsage = false,
): Promise<Contenders> {
  const sink = new DiscardExporter();
  // init()'s own pipeline with its default batch settings, only the exporter swapped.
  const handle = init({
    exporter: sink,
    instrumentations: { openai: false, anthropic: false },
    flushOnExit: false,
  });
  const mock = await startMockProcess();
  const client = new OpenAI({
    apiKey: 'sk-bench',
    baseURL: `${mock.url}/v1`,
    maxRetries: 0,
    ...(transport === 'replay' ? { fetch: replayingFetch() } : {}),
  });
  if (transport === 'stub') stubPost(client, `${mock.url}/v1`);

  const ours = new OpenAIInstrumentation({ enabled: false });
  const classes = classesFromClientClass(OpenAI as unknown as Record<string, unknown>);
  const traceloop = new TraceloopOpenAI({ enabled: false, traceContent: true });
  const traceloopProto = (OpenAI as unknown as { Chat: { Completions: { prototype: object } } }).Chat
    .Completions.prototype;

  const use = (v: Variant) => {
    ours.unpatchClasses(classes);
    if (isWrapped((traceloopProto as { create: unknown }).create)) {
      (traceloop as unknown as { _unwrap(o: object, n: string): void })._unwrap(traceloopProto, 'create');
    }
    if (v === 'oversight') ours.patchClasses(classes);
    if (v === 'openllmetry') traceloop.manuallyInstrument(OpenAI);
  };

  const call = async (i: number) => {
    const messages = [
      { role: 'system' as const, content: 'You answer benchmark questions briefly.' },
      { role: 'user' as const, content: `Benchmark question number ${i % 50}?` },
    ];
    if (stream) {
      const s = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages,
        stream: true,
        ...(appAsksUsage ? { stream_options: { include_usage: true } } : {}),
      });
      for await (const _ of s) {
        // drain, as an app forwarding chunks would
      }
    } else {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    }
  };

  return {
    use,
    call,
    sink,
    handle,
    close: async () => {
      use('bare');
      await handle.shutdown();
      await mock.stop();
    },
  };
}
