/** Body middleware for the collector's small JSON routes: size-limited (gzip too), parsed, set as `body`. */
import type { MiddlewareHandler } from 'hono';
import { type BodyBudget, OtlpRequestError, readRequestBody } from '../otlp/index.ts';
import { type Refuse, refuseJson } from './refusal.ts';

/** `bodyBudget`, when a `bodyBudget` middleware runs first, is what the body's bytes are taken from. */
export type JsonBodyEnv = { Variables: { body: unknown; bodyBudget?: BodyBudget } };

export interface JsonBodyOptions {
  /** Bytes on the wire and after decompression alike. */
  maxBytes: number;
  refuse?: Refuse;
}

export function jsonBody(options: JsonBodyOptions): MiddlewareHandler<JsonBodyEnv> {
  const refuse = options.refuse ?? refuseJson;
  return async (c, next) => {
    let json: unknown;
    try {
      const body = await readRequestBody(c.req.raw, {
        contentEncoding: c.req.header('content-encoding'),
        maxBodyBytes: options.maxBytes,
        maxDecompressedBytes: options.maxBytes,
        budget: c.get('bodyBudget'),
      });
      try {
        json = JSON.parse(new TextDecoder().decode(body));
      } catch (error) {
        throw new OtlpRequestError(`body must be JSON: ${(error as Error).message}`, 400);
      }
    } catch (error) {
      if (error instanceof OtlpRequestError)
        return refuse(c, {
          status: error.status,
          message: error.message,
          ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        });
      throw error;
    }
    c.set('body', json);
    await next();
  };
}
