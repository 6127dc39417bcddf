/**
 * ClickHouse's HTTP interface served from chdb on 127.0.0.1, so the server
 * backend (@clickhouse/client) is tested over real HTTP against the real
 * engine. Covers what the client uses: /ping, queries in the body or the
 * `query` URL parameter (with the body appended as insert data), `database`,
 * `default_format`, settings as URL parameters (including `readonly` and
 * `insert_deduplication_token`), `param_*` values (URL or multipart), gzip in
 * both directions, and errors as `Code: N. DB::Exception: …` with status 500
 * and `X-ClickHouse-Exception-Code`.
 *
 * Every request gets its own chdb connection to the data directory, opened with
 * the request's settings as connection arguments, so settings such as
 * `readonly=1` bind exactly that request, as they do on a server.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip, gzip, inflate } from 'node:zlib';
import { drainPending, Session } from 'chdb';

export interface ChdbHttpServerOptions {
  /** chdb data directory (a process can only hold one; share it with other sessions of the process). */
  dataDir: string;
  /** When set, requests must authenticate as this user. */
  username?: string;
  password?: string;
}

export interface ChdbHttpServer {
  readonly url: string;
  readonly port: number;
  /** Requests served so far, for tests that check a call reached the server. */
  readonly requestCount: number;
  /**
   * The last errors the engine answered with (newest last, at most 20), each
   * with the start of its statement: what a client behind a proxy that loses
   * the answers never sees.
   */
  readonly recentErrors: readonly string[];
  close(): Promise<void>;
}

/** URL parameters that are part of the protocol, not settings. */
const PROTOCOL_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'user',
  'password',
  'quota_key',
  'role',
  'buffer_size',
  'wait_end_of_query',
  'enable_http_compression',
  'http_headers_progress_interval_ms',
  'send_progress_in_http_headers',
]);

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

class HttpError extends Error {
  readonly code: number;
  readonly status: number;
  constructor(code: number, message: string, status = 500) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Reverses the TSV escaping the client applies to top-level parameter values. */
function unescapeTsv(raw: string): string {
  return raw.replace(/\\(.)/gs, (_all, char: string) => {
    switch (char) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '0':
        return '\0';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      default:
        return char;
    }
  });
}

/** Marks a tuple for chdb's parameter formatter, which recognises tuples by this class name. */
class TupleParam {
  readonly values: unknown[];
  constructor(values: unknown[]) {
    this.values = values;
  }
}

/** Parses a ClickHouse composite literal (`['a', 1]`, `{'k': 2}`, `(1, 'x')`) into JS values. */
function parseLiteral(text: string): unknown {
  let at = 0;
  const skip = () => {
    while (at < text.length && /\s/.test(text[at] as string)) at++;
  };
  const value = (): unknown => {
    skip();
    const char = text[at];
    if (char === '[' || char === '(') {
      const close = char === '[' ? ']' : ')';
      at++;
      const items: unknown[] = [];
      skip();
      while (text[at] !== close) {
        items.push(value());
        skip();
        if (text[at] === ',') at++;
        else if (text[at] !== close) throw new HttpError(26, `cannot parse parameter literal ${text}`);
        skip();
      }
      at++;
      return char === '[' ? items : new TupleParam(items);
    }
    if (char === '{') {
      at++;
      const object: Record<string, unknown> = {};
      skip();
      while (text[at] !== '}') {
        const key = String(value());
        skip();
        if (text[at] !== ':') throw new HttpError(26, `cannot parse parameter literal ${text}`);
        at++;
        object[key] = value();
        skip();
        if (text[at] === ',') at++;
        skip();
      }
      at++;
      return object;
    }
    if (char === "'") {
      at++;
      let out = '';
      while (at < text.length && text[at] !== "'") {
        if (text[at] === '\\') {
          out += unescapeTsv(text.slice(at, at + 2));
          at += 2;
        } else {
          out += text[at];
          at++;
        }
      }
      at++;
      return out;
    }
    const start = at;
    while (at < text.length && !/[\s,\]):}]/.test(text[at] as string)) at++;
    const token = text.slice(start, at);
    if (/^null$/i.test(token)) return null;
    if (/^true$/i.test(token)) return true;
    if (/^false$/i.test(token)) return false;
    if (/^-?\d+$/.test(token)) {
      const big = BigInt(token);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(token)
        : big;
    }
    if (/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(token)) return Number(token);
    return token;
  };
  return value();
}

/** `{name:Type}` placeholders of a query, by name. */
function placeholderTypes(sql: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const match of sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/g)) {
    types.set(match[1] as string, match[2] as string);
  }
  return types;
}

function unwrapType(type: string): string {
  const wrapper = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(type.trim());
  return wrapper ? unwrapType(wrapper[1] as string) : type.trim();
}

/**
 * chdb formats parameter values itself (TSV-escaping strings), so the wire
 * form the client sent is turned back into the JS value it came from.
 */
function paramValue(raw: string, type: string | undefined): unknown {
  if (raw === '\\N') return null;
  const base = unwrapType(type ?? 'String');
  if (/^(Array|Map|Tuple)\(/.test(base)) return parseLiteral(raw);
  return unescapeTsv(raw);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const encoding = (request.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip') return promisify(gunzip)(body);
  if (encoding === 'deflate') return promisify(inflate)(body);
  if (encoding === '' || encoding === 'identity') return body;
  throw new HttpError(36, `Unsupported Content-Encoding: ${encoding}`, 400);
}

function authenticate(request: IncomingMessage, url: URL, options: ChdbHttpServerOptions): void {
  if (options.username === undefined) return;
  let user = request.headers['x-clickhouse-user'] as string | undefined;
  let password = request.headers['x-clickhouse-key'] as string | undefined;
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    user = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  user ??= url.searchParams.get('user') ?? undefined;
  password ??= url.searchParams.get('password') ?? undefined;
  if (user !== options.username || (password ?? '') !== (options.password ?? '')) {
    throw new HttpError(
      516,
      `${user ?? 'default'}: Authentication failed: password is incorrect, or there is no user with such name.`,
      401,
    );
  }
}

interface ParsedRequest {
  sql: string;
  params: Map<string, string>;
}

async function parseRequest(request: IncomingMessage, url: URL): Promise<ParsedRequest> {
  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    if (key.startsWith('param_')) params.set(key.slice(6), value);
  }
  const body = request.method === 'POST' ? await readBody(request) : Buffer.alloc(0);
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    let sql = url.searchParams.get('query') ?? '';
    for (const [key, value] of form) {
      const text = typeof value === 'string' ? value : await value.text();
      if (key === 'query') sql = sql ? `${sql}\n${text}` : text;
      else if (key.startsWith('param_')) params.set(key.slice(6), text);
    }
    return { sql, params };
  }
  const parts = [url.searchParams.get('query') ?? '', body.toString('utf8')].filter(
    (part) => part.length > 0,
  );
  return { sql: parts.join('\n'), params };
}

function settingsArgs(url: URL): string[] {
  const args: string[] = [];
  for (const [key, value] of url.searchParams) {
    if (PROTOCOL_PARAMS.has(key) || key.startsWith('param_')) continue;
    if (!SETTING_NAME.test(key)) throw new HttpError(115, `Unknown setting '${key}'`, 400);
    args.push(`--${key}=${value}`);
  }
  return args;
}

function errorOf(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const match = /Code:\s*(\d+)\.\s*DB::Exception:\s*([\s\S]*)/.exec(message);
  if (match) return new HttpError(Number(match[1]), (match[2] as string).trim());
  const code = (error as { clickhouseCode?: unknown }).clickhouseCode;
  return new HttpError(typeof code === 'number' ? code : 1001, message);
}

export async function startChdbHttpServer(options: ChdbHttpServerOptions): Promise<ChdbHttpServer> {
  let requestCount = 0;
  const inFlight = new Set<Promise<void>>();
  const recentErrors: string[] = [];
  // The engine shuts down with the last connection to its data directory and
  // takes ~20 ms to boot again (over 100 ms the first time): held open, it
  // stays up between requests, as a server does.
  const keepAlive = new Session(options.dataDir);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    requestCount++;
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    let session: Session | undefined;
    let statement = '';
    try {
      if ((request.method === 'GET' || request.method === 'HEAD') && url.pathname === '/ping') {
        response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
        return;
      }
      if (url.pathname !== '/') throw new HttpError(1002, `There is no handle ${url.pathname}`, 404);
      authenticate(request, url, options);
      const { sql, params } = await parseRequest(request, url);
      statement = sql.trim().slice(0, 80);
      if (sql.trim().length === 0) {
        response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
        return;
      }
      session = new Session(options.dataDir, { connectionArgs: settingsArgs(url) });
      const database = url.searchParams.get('database');
      if (database) await session.queryAsync(`USE \`${database.replaceAll('`', '\\`')}\``);
      const format = url.searchParams.get('default_format') ?? 'TabSeparated';
      const types = placeholderTypes(sql);
      const bound: Record<string, unknown> = {};
      for (const [name, raw] of params) bound[name] = paramValue(raw, types.get(name));
      const result =
        params.size > 0
          ? await session.queryBindAsync(sql, bound, { format })
          : await session.queryAsync(sql, { format });
      let body = Buffer.from(result.bytes());
      const headers: Record<string, string> = {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Format': format,
        'X-ClickHouse-Timezone': 'UTC',
        'X-ClickHouse-Summary': JSON.stringify({
          read_rows: String(result.rowsRead),
          read_bytes: String(result.bytesRead),
          written_rows: '0',
          written_bytes: '0',
          total_rows_to_read: '0',
          result_rows: '0',
          result_bytes: String(body.length),
          elapsed_ns: String(Math.round(result.elapsed * 1e9)),
        }),
      };
      const wantsGzip =
        url.searchParams.get('enable_http_compression') === '1' &&
        /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      if (wantsGzip) {
        body = await promisify(gzip)(body);
        headers['Content-Encoding'] = 'gzip';
      }
      response.writeHead(200, headers).end(body);
    } catch (error) {
      const failure = errorOf(error);
      recentErrors.push(`${failure.code} ${failure.message.slice(0, 200)} [${statement}]`);
      if (recentErrors.length > 20) recentErrors.shift();
      response
        .writeHead(failure.status, {
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Query-Id': queryId,
          'X-ClickHouse-Exception-Code': String(failure.code),
        })
        .end(`Code: ${failure.code}. DB::Exception: ${failure.message}\n`);
    } finally {
      session?.close();
    }
  };

  const server = createServer((request, response) => {
    const done = handle(request, response).finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requestCount() {
      return requestCount;
    },
    recentErrors,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...inFlight]);
      keepAlive.close();
      await drainPending();
    },
  };
}
