import { randomBytes } from 'node:crypto';

/**
 * OTLP/JSON export requests of GenAI chat spans with ids the test keeps, so
 * each span sent can be looked for in ClickHouse afterwards. Every span is a
 * chat step, so it yields one `otel_traces` row and one `llm_spans` row.
 */
export interface SpanBatch {
  spanIds: string[];
  body: string;
}

export function spanBatch(count: number, service = 'fault-test'): SpanBatch {
  const traceId = randomBytes(16).toString('hex');
  const now = BigInt(Date.now()) * 1_000_000n;
  const spanIds: string[] = [];
  const spans = [];
  for (let i = 0; i < count; i++) {
    const spanId = randomBytes(8).toString('hex');
    spanIds.push(spanId);
    spans.push({
      traceId,
      spanId,
      name: 'chat gpt-4o-mini',
      kind: 3,
      startTimeUnixNano: (now + BigInt(i) * 1000n).toString(),
      endTimeUnixNano: (now + BigInt(i) * 1000n + 5_000_000n).toString(),
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: '12' } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: '3' } },
        {
          key: 'gen_ai.input.messages',
          value: {
            stringValue: JSON.stringify([
              { role: 'user', parts: [{ type: 'text', content: `question ${spanId}` }] },
            ]),
          },
        },
      ],
      status: { code: 1 },
    });
  }
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'faults', version: '1.0.0' }, spans }],
      },
    ],
  });
  return { spanIds, body };
}

export interface PostResult {
  /** HTTP status, or the network error code when no response came (ECONNREFUSED, ECONNRESET, …). */
  status: number | string;
  retryAfter: string | null;
}

/** Posts one OTLP/JSON request; a refused or dropped connection is a result, not a throw. */
export async function postSpans(url: string, apiKey: string, batch: SpanBatch): Promise<PostResult> {
  try {
    const response = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: batch.body,
    });
    await response.arrayBuffer();
    return { status: response.status, retryAfter: response.headers.get('retry-after') };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { status: cause?.code ?? (error as Error).message, retryAfter: null };
  }
}

/** Rows per span id out of `SELECT SpanId, count() …`, checked against what was sent. */
export function countsById(rows: { id: string; n: number | string }[]): Map<string, number> {
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

/** Reads one sample of a Prometheus text exposition (first series matching the name and labels). */
export function metricValue(exposition: string, name: string, labels = ''): number | null {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (labels ? !rest.startsWith(`{${labels}}`) : !/^[\s{]/.test(rest)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) return value;
  }
  return null;
}
