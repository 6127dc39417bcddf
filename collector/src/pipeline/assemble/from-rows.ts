/**
 * Canonical spans rebuilt from stored rows, for the trace stage: the rows of a
 * committed drain round, or a trace read back from ClickHouse. One path for
 * both, so a re-scored trace pairs exactly as it did the first time. Only what
 * pairing and the enrichers read is rebuilt; the rest keeps neutral values.
 *
 * Rebuilding from rows (rather than shipping LlmSpans back from the transform
 * workers) costs one JSON.parse of the message columns per span, and only for
 * generations; the workers' reply stays as it was.
 */
import { z } from 'zod';
import type { Convention, LlmSpan, Message, Operation, RetrievedDocument } from '../../normalize/index.ts';
import type { Row } from '../../store/store.ts';
import type { SpanLink } from './pairing.ts';

const text = z.string().catch('');
const count = z.coerce.number().catch(0);

const llmRowSchema = z.object({
  project_id: z.string(),
  trace_id: z.string().min(1),
  span_id: z.string().min(1),
  parent_span_id: text,
  /** `seconds.fraction` as the transform writes it. */
  timestamp: z.union([z.string(), z.number()]).optional(),
  /** Nanoseconds, as the read-back query selects it. */
  timestamp_ns: z.union([z.string(), z.number()]).optional(),
  duration_ns: z.union([z.string(), z.number()]).catch(0),
  convention: text,
  operation: text,
  name: text,
  service_name: text,
  // The quality roll-up is keyed by model: a re-score must count under the model the first score did.
  request_model: text,
  response_model: text,
  input_messages: text,
  output_messages: text,
  system_instructions: text,
  tool_result: text,
  retrieval_query: text,
  session_id: text,
  user_id: text,
});

const documentRowSchema = z.object({
  trace_id: z.string(),
  span_id: z.string(),
  document_id: text,
  rank: count,
  score: z.coerce.number().nullable().catch(null),
  content: text,
});

const traceRowSchema = z.object({
  ProjectId: z.string(),
  TraceId: z.string().min(1),
  SpanId: z.string().min(1),
  ParentSpanId: text,
  Timestamp: z.union([z.string(), z.number()]).optional(),
  timestamp_ns: z.union([z.string(), z.number()]).optional(),
  Duration: z.union([z.string(), z.number()]).catch(0),
});

const messageSchema = z.object({
  role: z.string().catch(''),
  content: z.string().catch(''),
  toolCallId: z.string().optional(),
});
const messagesSchema = z.array(messageSchema).catch([]);

/** `1700000000.123456789` (DateTime64 as the transform writes it) or nanoseconds → nanoseconds. */
export function instantNanos(seconds: unknown, nanos?: unknown): bigint {
  if (nanos !== undefined && nanos !== null && String(nanos) !== '') return BigInt(String(nanos));
  const s = String(seconds ?? '0');
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(s);
  if (!m) return 0n;
  return BigInt(m[1] as string) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

function messages(json: string): Message[] {
  if (json === '') return [];
  try {
    return messagesSchema.parse(JSON.parse(json)).map((m) => ({ role: m.role, content: m.content }));
  } catch (err) {
    // The transform wrote this column from JSON.stringify; unparseable means truncated by hand.
    if (err instanceof SyntaxError) return [];
    throw err;
  }
}

function blankSpan(): Omit<
  LlmSpan,
  'traceId' | 'spanId' | 'parentSpanId' | 'startTimeUnixNano' | 'endTimeUnixNano'
> {
  return {
    convention: 'otel-genai',
    operation: 'chat',
    name: '',
    serviceName: '',
    provider: '',
    requestModel: '',
    responseModel: '',
    responseId: '',
    requestParams: {},
    inputTokens: null,
    outputTokens: null,
    cacheReadInputTokens: null,
    cacheCreationInputTokens: null,
    reasoningOutputTokens: null,
    costUsd: null,
    finishReasons: [],
    timeToFirstTokenMs: null,
    inputMessages: [],
    outputMessages: [],
    systemInstructions: '',
    toolCalls: [],
    toolName: '',
    toolArguments: '',
    toolResult: '',
    retrievalQuery: '',
    documents: [],
    inputDocuments: [],
    dataSourceId: '',
    queryEmbedding: null,
    workflowName: '',
    guardrail: null,
    sessionId: '',
    userId: '',
    metadata: {},
    status: 'unset',
    errorType: '',
    statusMessage: '',
  };
}

/** Operations whose text pairing reads; other LLM spans only place themselves in the tree. */
const TEXT_OPERATIONS = new Set([
  'chat',
  'text_completion',
  'generate_content',
  'retrieval',
  'rerank',
  'execute_tool',
]);

export interface RebuiltTraces {
  /** (project, trace) → spans and links, in row order. */
  traces: Map<string, { projectId: string; traceId: string; spans: LlmSpan[]; links: SpanLink[] }>;
  /** Rows that did not parse (skipped). */
  skipped: number;
}

const traceKey = (projectId: string, traceId: string) => `${projectId}\u0000${traceId}`;

/**
 * Groups llm_spans, retrieval_documents and otel_traces rows into traces.
 * otel_traces rows of spans that are also LLM spans are ignored (the LLM span
 * carries the same tree position); the others become links.
 */
export function rebuildTraces(rows: {
  llmSpans?: readonly Row[] | undefined;
  documents?: readonly Row[] | undefined;
  traces?: readonly Row[] | undefined;
}): RebuiltTraces {
  const out: RebuiltTraces = { traces: new Map(), skipped: 0 };
  const docsBySpan = new Map<string, RetrievedDocument[]>();
  for (const raw of rows.documents ?? []) {
    const d = documentRowSchema.safeParse(raw);
    if (!d.success) {
      out.skipped++;
      continue;
    }
    const k = `${d.data.trace_id}\u0000${d.data.span_id}`;
    const list = docsBySpan.get(k) ?? [];
    list.push({ id: d.data.document_id, rank: d.data.rank, score: d.data.score, content: d.data.content });
    docsBySpan.set(k, list);
  }
  const entry = (projectId: string, traceId: string) => {
    const k = traceKey(projectId, traceId);
    let t = out.traces.get(k);
    if (!t) {
      t = { projectId, traceId, spans: [], links: [] };
      out.traces.set(k, t);
    }
    return t;
  };
  const llmIds = new Set<string>();
  for (const raw of rows.llmSpans ?? []) {
    const r = llmRowSchema.safeParse(raw);
    if (!r.success) {
      out.skipped++;
      continue;
    }
    const row = r.data;
    const start = instantNanos(row.timestamp, row.timestamp_ns);
    const span: LlmSpan = {
      ...blankSpan(),
      traceId: row.trace_id,
      spanId: row.span_id,
      parentSpanId: row.parent_span_id,
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(String(row.duration_ns)),
      convention: row.convention as Convention,
      operation: row.operation as Operation,
      name: row.name,
      serviceName: row.service_name,
      requestModel: row.request_model,
      responseModel: row.response_model,
      sessionId: row.session_id,
      userId: row.user_id,
    };
    if (TEXT_OPERATIONS.has(row.operation)) {
      span.inputMessages = messages(row.input_messages);
      span.outputMessages = messages(row.output_messages);
      span.systemInstructions = row.system_instructions;
      span.toolResult = row.tool_result;
      span.retrievalQuery = row.retrieval_query;
      const docs = docsBySpan.get(`${row.trace_id}\u0000${row.span_id}`) ?? [];
      span.documents = docs.sort((a, b) => a.rank - b.rank);
    }
    llmIds.add(`${row.trace_id}\u0000${row.span_id}`);
    entry(row.project_id, row.trace_id).spans.push(span);
  }
  for (const raw of rows.traces ?? []) {
    const r = traceRowSchema.safeParse(raw);
    if (!r.success) {
      out.skipped++;
      continue;
    }
    const row = r.data;
    if (llmIds.has(`${row.TraceId}\u0000${row.SpanId}`)) continue;
    const start = instantNanos(row.Timestamp, row.timestamp_ns);
    entry(row.ProjectId, row.TraceId).links.push({
      spanId: row.SpanId,
      parentSpanId: row.ParentSpanId,
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(String(row.Duration)),
    });
  }
  return out;
}
