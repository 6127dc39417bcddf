/**
 * A local stand-in for the OpenAI and Anthropic APIs, deterministic and
 * keyless, so examples and tests run the official clients unmodified against
 * it. Rules (answers, token counts, tool calls, caching, injected errors) are
 * documented in text.ts, tools.ts, prompt-cache.ts and errors.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { messages } from './anthropic.ts';
import type { HandlerContext } from './context.ts';
import { nowSeconds } from './context.ts';
import { embeddings } from './embeddings.ts';
import { type Dialect, injectedFailure, sendError } from './errors.ts';
import { readBody, sendJson, sleep } from './http.ts';
import { chatCompletions } from './openai-chat.ts';
import { responses } from './openai-responses.ts';
import { PromptCache } from './prompt-cache.ts';
import type { ScriptedAnswer } from './reply.ts';

export type { ScriptedAnswer } from './reply.ts';

export interface MockLlmOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Delay before a response starts (headers and first chunk). */
  latencyMs?: number;
  /** Delay between stream events. */
  chunkDelayMs?: number;
  /** Fixed answers by question, checked before the usual rules (first match wins). */
  script?: readonly ScriptedAnswer[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** HTTP status the mock answered with. */
  status: number;
  receivedAt: number;
}

export interface MockLlm {
  /** `http://127.0.0.1:PORT`; clients take `${url}/v1` as their base URL. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

type Handler = (ctx: HandlerContext) => Promise<void> | boolean;

interface Route {
  dialect: Dialect;
  handler: Handler;
  /** Field that must hold a non-empty array/string for the request to be valid. */
  required: string;
}

const routes: Record<string, Route> = {
  '/v1/chat/completions': { dialect: 'openai', handler: chatCompletions, required: 'messages' },
  '/v1/responses': { dialect: 'openai', handler: responses, required: 'input' },
  '/v1/embeddings': { dialect: 'openai', handler: embeddings, required: 'input' },
  '/v1/messages': { dialect: 'anthropic', handler: messages, required: 'messages' },
};

function headerNumber(req: IncomingMessage, name: string): number | undefined {
  const raw = req.headers[name];
  const value = typeof raw === 'string' ? Number(raw) : Number.NaN;
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const requests: RecordedRequest[] = [];
  const cache = new PromptCache();
  const flakyCounts = new Map<string, number>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const text = await readBody(req);
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      // Kept as text so the recorded request shows what the client sent.
    }
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      headers: flatHeaders(req),
      body,
      status: 0,
      receivedAt: Date.now(),
    };
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    record.status = res.statusCode;

    // Per-request overrides let one server serve fast and slow tests.
    await sleep(headerNumber(req, 'x-mock-latency-ms') ?? options.latencyMs ?? 0);
    const chunkDelayMs = headerNumber(req, 'x-mock-chunk-delay-ms') ?? options.chunkDelayMs ?? 0;

    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'claude-sonnet-5-5'].map((id) => ({
          id,
          object: 'model',
          created: nowSeconds(),
          owned_by: 'mock',
        })),
      });
      return;
    }
    const route = routes[path];
    if (!route || req.method !== 'POST') {
      sendError(
        res,
        path.startsWith('/v1/messages') ? 'anthropic' : 'openai',
        404,
        `Unknown route ${req.method} ${path} (mock).`,
      );
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      sendError(res, route.dialect, 400, 'The request body is not a JSON object.');
      return;
    }
    const fields = body as Record<string, unknown>;
    if (typeof fields.model !== 'string' || fields.model === '') {
      sendError(res, route.dialect, 400, 'you must provide a model parameter', 'model');
      return;
    }
    const needed = fields[route.required];
    if (needed === undefined || needed === null || (Array.isArray(needed) && needed.length === 0)) {
      sendError(res, route.dialect, 400, `Missing required parameter: '${route.required}'.`, route.required);
      return;
    }
    const failure = injectedFailure(fields.model, path, flakyCounts);
    if (failure !== null) {
      sendError(res, route.dialect, failure);
      return;
    }
    const handled = await route.handler({
      body: fields,
      res,
      chunkDelayMs,
      cache,
      script: options.script ?? [],
    });
    if (handled === false) sendError(res, route.dialect, 400, `Invalid '${route.required}'.`, route.required);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 'openai', 500, `Mock server error: ${String(error)}`);
      else res.destroy();
    });
  });
  // Longer than clients' idle-socket reuse window (Node's agent drops sockets
  // the server may close within a second), so clients keep their connections
  // as they would with a real provider; close() still ends idle sockets at once.
  server.keepAliveTimeout = 30_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
