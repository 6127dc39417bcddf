import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toLlmSpanRow, toRetrievalDocumentRows } from '../../src/pipeline/transform/llm-rows.ts';
import { toEvaluationRow, toFeedbackRow, toTopicRow } from '../../src/pipeline/transform/record-rows.ts';
import { toTraceRow } from '../../src/pipeline/transform/trace-row.ts';
import { ReadOnlyViolationError, StoreQueryError } from '../../src/store/errors.ts';
import type { Store } from '../../src/store/store.ts';
import {
  EVALUATIONS,
  FEEDBACK,
  LLM_SPANS,
  OTEL_TRACES,
  RETRIEVAL_DOCUMENTS,
  SCHEMA_MIGRATIONS,
  TOPICS,
} from '../../src/store/tables.ts';
import { storeBackends } from '../helpers/store-backends.ts';
import { sampleLlmSpan, sampleRetrievalSpan, sampleSpan, TRACE_ID } from './fixtures.ts';

describe.each(storeBackends())('store on $name', (backend) => {
  let store: Store;

  beforeAll(async () => {
    store = await backend.open();
    await store.migrate();
  });
  afterAll(() => backend.cleanup());

  it('migrates idempotently and records each version once', async () => {
    await store.migrate();
    const ledger = await store.query<{ version: number; n: number }>(
      `SELECT version, count() AS n FROM ${SCHEMA_MIGRATIONS} GROUP BY version ORDER BY version`,
    );
    expect(ledger.map((row) => row.version)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
    ]);
    expect(ledger.every((row) => row.n === 1)).toBe(true);
    const tables = await store.query<{ name: string }>(
      'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    );
    expect(tables.map((row) => row.name)).toEqual(
      expect.arrayContaining([
        'otel_traces',
        'otel_traces_trace_id_ts',
        'otel_traces_trace_id_ts_mv',
        'llm_spans',
        'retrieval_documents',
        'evaluations',
        'topics',
        'gap_state',
        'embedder_state',
        'topic_vocabulary',
        'feedback',
        'llm_spans_hourly',
        'llm_spans_hourly_mv',
        'evaluations_hourly',
        'quality_events',
        'llm_quality_hourly',
        'llm_quality_hourly_mv',
        'feedback_hourly',
        'feedback_hourly_mv',
        'flagged_traces_hourly',
        'flagged_traces_hourly_mv',
        'gap_signals_hourly',
        'gap_signals_hourly_mv',
        'worst_answers_hourly',
        'worst_answers_hourly_mv',
        'topic_map',
        'kb_gaps',
        'feedback_agreement',
        'answer_votes',
      ]),
    );
  });

  it('keeps otel_traces column-compatible with the OTel Collector exporter', async () => {
    const columns = await store.query<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position`,
    );
    expect(columns.map((column) => `${column.name} ${column.type}`)).toEqual([
      'Timestamp DateTime64(9)',
      'TraceId String',
      'SpanId String',
      'ParentSpanId String',
      'TraceState String',
      'SpanName LowCardinality(String)',
      'SpanKind LowCardinality(String)',
      'ServiceName LowCardinality(String)',
      'ResourceAttributes Map(LowCardinality(String), String)',
      'ScopeName String',
      'ScopeVersion String',
      'SpanAttributes Map(LowCardinality(String), String)',
      'Duration UInt64',
      'StatusCode LowCardinality(String)',
      'StatusMessage String',
      'Events.Timestamp Array(DateTime64(9))',
      'Events.Name Array(LowCardinality(String))',
      'Events.Attributes Array(Map(LowCardinality(String), String))',
      'Links.TraceId Array(String)',
      'Links.SpanId Array(String)',
      'Links.TraceState Array(String)',
      'Links.Attributes Array(Map(LowCardinality(String), String))',
      'ProjectId LowCardinality(String)',
    ]);
  });

  it('stores spans losslessly and finds them the way Grafana looks a trace up', async () => {
    const child = sampleSpan({
      spanId: '1111222233334444',
      parentSpanId: 'eee19b7ec3c1b174',
      startTimeUnixNano: 1_700_000_000_500_000_000n,
      endTimeUnixNano: 1_700_000_002_000_000_000n,
      statusCode: 'Error',
      statusMessage: 'boom',
      events: [],
      links: [],
    });
    await store.insert(OTEL_TRACES, [toTraceRow(sampleSpan(), 'proj-a'), toTraceRow(child, 'proj-a')]);
    const rows = await store.query<Record<string, unknown>>(
      `SELECT Timestamp, toString(toUnixTimestamp64Nano(Timestamp)) AS ns, SpanId, ParentSpanId, TraceState, SpanName,
              SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration,
              StatusCode, StatusMessage, Events.Timestamp, Events.Name, Events.Attributes, Links.TraceId,
              Links.Attributes, ProjectId
       FROM otel_traces WHERE TraceId = {trace_id:String} ORDER BY Timestamp`,
      { params: { trace_id: TRACE_ID }, readonly: true },
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      Timestamp: '2023-11-14 22:13:20.123456789',
      ns: '1700000000123456789',
      SpanId: 'eee19b7ec3c1b174',
      ParentSpanId: '',
      TraceState: 'vendor=1',
      SpanName: 'chat gpt-4o',
      SpanKind: 'Client',
      ServiceName: 'support-bot',
      ResourceAttributes: { 'service.name': 'support-bot', 'host.cpus': '2' },
      ScopeName: '@oversight/sdk',
      ScopeVersion: '0.1.0',
      SpanAttributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.temperature': '0.7',
        'gen_ai.usage.input_tokens': '42',
        'gen_ai.request.stream': 'true',
        'gen_ai.request.stop_sequences': '["END","\\u003cstop\\u003e"]',
        'app.config': '{"a":"x\\u0026y","b":1}',
        'app.empty': '',
      },
      Duration: 1_500_000_001,
      StatusCode: 'Ok',
      StatusMessage: '',
      'Events.Timestamp': ['2023-11-14 22:13:20.123457789'],
      'Events.Name': ['gen_ai.evaluation.result'],
      'Events.Attributes': [
        { 'gen_ai.evaluation.name': 'relevance', 'gen_ai.evaluation.score.value': '0.9' },
      ],
      'Links.TraceId': ['a'.repeat(32)],
      'Links.Attributes': [{ why: 'retry' }],
      ProjectId: 'proj-a',
    });
    expect(rows[1]).toMatchObject({
      ParentSpanId: 'eee19b7ec3c1b174',
      StatusCode: 'Error',
      Duration: 1_500_000_000,
    });

    const lookup = await store.query<{ start: string; end: string }>(
      `SELECT min(Start) AS start, max(End) AS end FROM otel_traces_trace_id_ts WHERE TraceId = {trace_id:String}`,
      { params: { trace_id: TRACE_ID } },
    );
    expect(lookup).toEqual([{ start: '2023-11-14 22:13:20', end: '2023-11-14 22:13:20' }]);
  });

  it('stores LLM steps with typed columns and rolls them up by the hour', async () => {
    const error = sampleLlmSpan({
      spanId: '9999888877776666',
      status: 'error',
      errorType: 'RateLimitError',
      inputTokens: 8,
      outputTokens: null,
      costUsd: null,
      timeToFirstTokenMs: null,
      endTimeUnixNano: sampleLlmSpan().startTimeUnixNano + 500_000_000n,
    });
    await store.insert(LLM_SPANS, [
      toLlmSpanRow(sampleLlmSpan(), 'proj-a', { topicId: 17 }),
      toLlmSpanRow(error, 'proj-a'),
      toLlmSpanRow(sampleRetrievalSpan(), 'proj-a'),
    ]);
    const [chat] = await store.query<Record<string, unknown>>(
      `SELECT project_id, timestamp, operation, provider, request_model, response_model, request_params,
              input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens, cost_usd,
              finish_reasons, duration_ns, ttft_ms, status, session_id, user_id, metadata, prompt_text,
              completion_text, system_instructions, topic_id, JSONExtractString(input_messages, 2, 'content') AS second_input
       FROM llm_spans WHERE span_id = {span_id:String}`,
      { params: { span_id: 'eee19b7ec3c1b174' } },
    );
    expect(chat).toEqual({
      project_id: 'proj-a',
      timestamp: '2023-11-14 22:13:20.123456789',
      operation: 'chat',
      provider: 'openai',
      request_model: 'gpt-4o',
      response_model: 'gpt-4o-2024-08-06',
      request_params: { temperature: '0.7', max_tokens: '256', stop_sequences: '["END"]' },
      input_tokens: 42,
      output_tokens: 7,
      cache_read_input_tokens: 10,
      cache_creation_input_tokens: null,
      cost_usd: 0.00125,
      finish_reasons: ['stop'],
      duration_ns: 1_500_000_001,
      ttft_ms: 180.5,
      status: 'ok',
      session_id: 'sess-1',
      user_id: 'user-7',
      metadata: { tenant: 'acme' },
      prompt_text: 'How do I reset my password?',
      completion_text: 'Open Settings, then Security.',
      system_instructions: 'Be brief.',
      topic_id: 17,
      second_input: 'How do I reset my password?',
    });
    const [retrieval] = await store.query<Record<string, unknown>>(
      `SELECT prompt_text, retrieval_query, data_source_id, document_count, query_embedding FROM llm_spans
       WHERE operation = 'retrieval'`,
    );
    expect(retrieval).toEqual({
      prompt_text: 'reset password',
      retrieval_query: 'reset password',
      data_source_id: 'kb',
      document_count: 2,
      query_embedding: [0.25, -0.5, 1],
    });

    const hourly = await store.query<Record<string, unknown>>(
      `SELECT hour, model, sum(calls) AS calls, sum(errors) AS errors, sum(input_tokens) AS input_tokens,
              sum(output_tokens) AS output_tokens, round(sum(cost_usd), 6) AS cost_usd,
              quantilesTDigestMerge(0.5, 0.9, 0.99)(duration_ms_quantiles)[1] AS p50_ms
       FROM llm_spans_hourly WHERE project_id = 'proj-a' AND operation = 'chat' GROUP BY hour, model`,
    );
    expect(hourly).toHaveLength(1);
    expect(hourly[0]).toMatchObject({
      hour: '2023-11-14 22:00:00',
      model: 'gpt-4o-2024-08-06',
      calls: 2,
      errors: 1,
      input_tokens: 50,
      output_tokens: 7,
      cost_usd: 0.00125,
    });
    expect(hourly[0]?.p50_ms).toBeGreaterThanOrEqual(500);
    expect(hourly[0]?.p50_ms).toBeLessThanOrEqual(1500.000001);
  });

  it('stores one row per retrieved document with a content hash', async () => {
    await store.insert(RETRIEVAL_DOCUMENTS, toRetrievalDocumentRows(sampleRetrievalSpan(), 'proj-a'));
    const docs = await store.query<Record<string, unknown>>(
      `SELECT document_id, rank, score, query, content, toString(content_hash) AS hash, metadata
       FROM retrieval_documents ORDER BY rank`,
    );
    expect(docs).toEqual([
      {
        document_id: 'doc-1',
        rank: 1,
        score: 0.83,
        query: 'reset password',
        content: 'To reset your password, open Settings.',
        hash: toRetrievalDocumentRows(sampleRetrievalSpan(), 'p')[0]?.content_hash,
        metadata: { page: '3' },
      },
      {
        document_id: 'doc-2',
        rank: 2,
        score: null,
        query: 'reset password',
        content: 'Billing FAQ',
        hash: toRetrievalDocumentRows(sampleRetrievalSpan(), 'p')[1]?.content_hash,
        metadata: {},
      },
    ]);
  });

  it('stores evaluations, feedback and topics', async () => {
    const at = new Date('2026-03-01T10:15:00.250Z');
    await store.insert(EVALUATIONS, [
      toEvaluationRow({
        projectId: 'proj-a',
        timestamp: at,
        traceId: TRACE_ID,
        spanId: 'eee19b7ec3c1b174',
        evaluator: 'groundedness',
        score: 0.25,
        label: 'hallucinated',
        explanation: 'claim not in context',
        evaluatorVersion: '1',
        source: 'collector',
      }),
      toEvaluationRow({
        projectId: 'proj-a',
        timestamp: at,
        traceId: TRACE_ID,
        spanId: 'eee19b7ec3c1b174',
        evaluator: 'groundedness',
        score: 0.75,
        label: 'hallucinated',
        source: 'human',
      }),
    ]);
    const evaluations = await store.query(
      `SELECT timestamp, evaluator, score, label, explanation, source FROM evaluations ORDER BY score`,
    );
    expect(evaluations).toEqual([
      {
        timestamp: '2026-03-01 10:15:00.250000000',
        evaluator: 'groundedness',
        score: 0.25,
        label: 'hallucinated',
        explanation: 'claim not in context',
        source: 'collector',
      },
      {
        timestamp: '2026-03-01 10:15:00.250000000',
        evaluator: 'groundedness',
        score: 0.75,
        label: 'hallucinated',
        explanation: '',
        source: 'human',
      },
    ]);
    const hourly = await store.query(
      `SELECT hour, sum(count) AS n, sum(score_sum) AS total, min(score_min) AS lo FROM evaluations_hourly
       WHERE evaluator = 'groundedness' GROUP BY hour`,
    );
    expect(hourly).toEqual([{ hour: '2026-03-01 10:00:00', n: 2, total: 1, lo: 0.25 }]);

    const feedback = toFeedbackRow({
      id: 'fb-1',
      projectId: 'proj-a',
      timestamp: at,
      traceId: TRACE_ID,
      userId: 'user-7',
      kind: 'thumbs',
      value: 0,
      comment: 'wrong answer',
      metadata: { page: 'help' },
    });
    await store.insert(FEEDBACK, [feedback]);
    await store.insert(FEEDBACK, [feedback]);
    const collapsed = await store.query(
      `SELECT id, kind, value, comment, metadata, span_id FROM feedback FINAL WHERE trace_id = {t:String}`,
      { params: { t: TRACE_ID } },
    );
    expect(collapsed).toEqual([
      {
        id: 'fb-1',
        kind: 'thumbs',
        value: 0,
        comment: 'wrong answer',
        metadata: { page: 'help' },
        span_id: '',
      },
    ]);

    const topic = {
      projectId: 'proj-a',
      topicId: 3,
      label: 'password reset',
      topTerms: ['password', 'reset'],
    };
    await store.insert(TOPICS, [
      toTopicRow({ ...topic, size: 10, firstSeen: at, lastSeen: at }),
      toTopicRow({ ...topic, size: 12, firstSeen: at, lastSeen: new Date(at.getTime() + 60_000) }),
    ]);
    const topics = await store.query(`SELECT topic_id, label, top_terms, size, last_seen FROM topics FINAL`);
    expect(topics).toEqual([
      {
        topic_id: 3,
        label: 'password reset',
        top_terms: ['password', 'reset'],
        size: 12,
        last_seen: '2026-03-01 10:16:00.250',
      },
    ]);
  });

  it('stores half an emoji as U+FFFD instead of losing the insert', async () => {
    // A string cut inside a surrogate pair (a scorer's quote of its evidence) is JSON's lone
    // \ud83d, which ClickHouse refuses with every other row of the insert.
    const half = 'ignore all previous instructions \ud83d';
    const row = (spanId: string, explanation: string) =>
      toEvaluationRow({
        projectId: 'proj-surrogate',
        timestamp: new Date('2026-03-01T10:15:00Z'),
        traceId: TRACE_ID,
        spanId,
        evaluator: 'prompt_injection',
        score: 0.9,
        label: 'injection',
        explanation,
        evaluatorVersion: '1',
        source: 'collector',
      });
    await store.insert(EVALUATIONS, [row('aaaa000000000001', 'fine 😀'), row('aaaa000000000002', half)]);
    const rows = await store.query<{ explanation: string }>(
      `SELECT explanation FROM evaluations WHERE project_id = 'proj-surrogate' ORDER BY span_id`,
    );
    expect(rows.map((r) => r.explanation)).toEqual(['fine 😀', 'ignore all previous instructions \ufffd']);
  });

  it('writes a batch once when it is inserted twice with the same deduplication token', async () => {
    const rows = [0, 1, 2].map((i) =>
      toTraceRow(
        sampleSpan({ traceId: 'd'.repeat(31) + String(i), spanId: `${i}`.repeat(16) }),
        'proj-dedup',
      ),
    );
    await store.insert(OTEL_TRACES, rows, { deduplicationToken: 'wal-segment-1:0-3' });
    await store.insert(OTEL_TRACES, rows, { deduplicationToken: 'wal-segment-1:0-3' });
    const [once] = await store.query<{ n: number }>(
      `SELECT count() AS n FROM otel_traces WHERE ProjectId = 'proj-dedup'`,
    );
    expect(once?.n).toBe(3);
    await store.insert(OTEL_TRACES, rows, { deduplicationToken: 'wal-segment-1:3-6' });
    const [twice] = await store.query<{ n: number }>(
      `SELECT count() AS n FROM otel_traces WHERE ProjectId = 'proj-dedup'`,
    );
    expect(twice?.n).toBe(6);
  });

  it('binds parameters as values, never as SQL', async () => {
    const hostile = "x' OR 1=1 --\\\n\t";
    const [row] = await store.query<{ echoed: string; n: number; tags: string[]; limit: number }>(
      `SELECT {s:String} AS echoed, (SELECT count() FROM otel_traces WHERE TraceId = {s:String}) AS n,
              {tags:Array(String)} AS tags, {limit:UInt32} AS limit`,
      { params: { s: hostile, tags: ["it's", 'a\\b'], limit: 5 }, readonly: true },
    );
    expect(row).toEqual({ echoed: hostile, n: 0, tags: ["it's", 'a\\b'], limit: 5 });
  });

  it('enforces read-only queries: reads pass, writes, DDL and setting changes fail clearly', async () => {
    const [count] = await store.query<{ n: number }>('SELECT count() AS n FROM topics', { readonly: true });
    expect(count?.n).toBeGreaterThan(0);
    const attempts = [
      `INSERT INTO topics (project_id, topic_id) VALUES ('x', 99)`,
      'DROP TABLE topics',
      'ALTER TABLE topics DELETE WHERE 1',
      'CREATE TABLE sneaky (x UInt8) ENGINE = Memory',
      'SELECT 1 SETTINGS readonly = 0',
    ];
    for (const sql of attempts) {
      const failure = await store.query(sql, { readonly: true }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure, sql).toBeInstanceOf(ReadOnlyViolationError);
      expect((failure as Error).message).toMatch(/read-only query refused/);
    }
    await expect(store.command('DROP TABLE topics', { readonly: true })).rejects.toBeInstanceOf(
      ReadOnlyViolationError,
    );
    const [after] = await store.query<{ n: number }>(`SELECT count() AS n FROM topics WHERE topic_id = 99`);
    expect(after?.n).toBe(0);
    expect(await store.query(`EXISTS TABLE topics`)).toEqual([{ result: 1 }]);
  });

  it('renders results in ClickHouse output formats', async () => {
    const csv = await store.queryText(
      `SELECT label, size FROM topics FINAL WHERE project_id = {p:String}`,
      'CSVWithNames',
      { params: { p: 'proj-a' }, readonly: true },
    );
    expect(csv).toBe('"label","size"\n"password reset",12\n');
  });

  it('reports engine errors with their ClickHouse code', async () => {
    const failure = await store.query('SELECT * FROM no_such_table').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreQueryError);
    expect((failure as StoreQueryError).code).toBe(60);
    expect(await store.ping()).toBe(true);
  });
});
