/**
 * Error injection through the model name, so a test needs no extra knobs:
 *
 * - `mock-error-<status>` (e.g. `mock-error-429`, `mock-error-500`,
 *   `mock-error-400`) always fails with that status;
 * - `mock-flaky-<n>` fails the first n calls with a 500 (per endpoint and
 *   model, per server), then succeeds, to exercise client retries.
 *
 * Retryable failures carry `retry-after-ms: 10` (honoured by the official
 * clients) and `retry-after: 1`, so retries are quick.
 */
import type { ServerResponse } from 'node:http';
import { sendJson } from './http.ts';
import { nextId } from './text.ts';

export type Dialect = 'openai' | 'anthropic';

export function injectedFailure(
  model: string,
  endpoint: string,
  flakyCounts: Map<string, number>,
): number | null {
  const fixed = /^mock-error-(\d{3})$/.exec(model);
  if (fixed?.[1]) return Number(fixed[1]);
  const flaky = /^mock-flaky-(\d+)$/.exec(model);
  if (flaky?.[1]) {
    const key = `${endpoint} ${model}`;
    const seen = flakyCounts.get(key) ?? 0;
    flakyCounts.set(key, seen + 1);
    if (seen < Number(flaky[1])) return 500;
  }
  return null;
}

const openaiKinds: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request (mock).' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided (mock).',
  },
  403: {
    type: 'invalid_request_error',
    code: 'unsupported_country_region_territory',
    message: 'Forbidden (mock).',
  },
  404: {
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: 'The model does not exist (mock).',
  },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests (mock). Please try again in 1s.',
  },
  500: {
    type: 'server_error',
    code: null,
    message: 'The server had an error while processing your request (mock).',
  },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded (mock).' },
};

const anthropicKinds: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function retryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export function sendError(
  res: ServerResponse,
  dialect: Dialect,
  status: number,
  message?: string,
  param?: string,
): void {
  const headers: Record<string, string> = retryable(status)
    ? { 'retry-after': '1', 'retry-after-ms': '10' }
    : {};
  if (dialect === 'openai') {
    const kind = openaiKinds[status] ?? {
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      code: null,
      message: `Error ${status} (mock).`,
    };
    headers['x-request-id'] = nextId('req_');
    sendJson(
      res,
      status,
      { error: { message: message ?? kind.message, type: kind.type, param: param ?? null, code: kind.code } },
      headers,
    );
    return;
  }
  const type = anthropicKinds[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const requestId = nextId('req_');
  headers['request-id'] = requestId;
  sendJson(
    res,
    status,
    { type: 'error', error: { type, message: message ?? `${type} (mock)` }, request_id: requestId },
    headers,
  );
}
