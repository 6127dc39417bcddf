import type { IncomingMessage, ServerResponse } from 'node:http';

export const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/**
 * A server-sent-event writer that stops quietly when the client goes away and
 * waits `chunkDelayMs` between events so time-to-first-token is measurable.
 */
export class SseWriter {
  readonly #res: ServerResponse;
  readonly #delayMs: number;
  #first = true;

  constructor(res: ServerResponse, delayMs: number, headers: Record<string, string> = {}) {
    this.#res = res;
    this.#delayMs = delayMs;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    res.flushHeaders();
  }

  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  /** `event` adds an `event:` line (Anthropic and the Responses API name their events; chat completions do not). */
  async send(data: unknown, event?: string): Promise<void> {
    if (this.closed) return;
    if (!this.#first) await sleep(this.#delayMs);
    this.#first = false;
    if (this.closed) return;
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    this.#res.write(`${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`);
  }

  end(): void {
    if (!this.closed) this.#res.end();
  }
}
