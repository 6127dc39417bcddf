/**
 * Synthetic traffic with exactly known rates, generated inside ClickHouse
 * (INSERT … SELECT FROM numbers()), so the same statements seed a few
 * thousand rows for the tests and ten million for the bench.
 *
 * Answer i (0-based, ANSWERS_PER_HOUR per hour from `start`):
 * - cell i % 6: service `support-bot` / `search-api` (i % 2), model
 *   gpt-4o-mini / claude-sonnet-4-5 / gpt-4o (i % 3);
 * - h = intDiv(i, 6) % 4: hallucinated when h = 0, so every service, model,
 *   topic and hour reads exactly 25 %;
 * - topic t = intDiv(i, 24) % 3 (ids 101 billing, 102 passwords, 103 crypto
 *   payments): a knowledge-base gap when h < t, so 0 %, 25 % and 50 %;
 * - one collector safety score per answer, evaluator i % 5 (pii, injection,
 *   jailbreak, toxicity, refusal) flagged when intDiv(i, 5) % 20 < evaluator
 *   index + 1: 5 %, 10 %, 15 %, 20 % and 25 %;
 * - feedback on i % 24 in {0, 7, 14, 21} (thumbs up unless hallucinated: 75 %),
 *   regenerate / copy / edit on 3 / 9 / 15.
 * The answers' scores also go to quality_events, as the trace stage writes them.
 * Plus one failed call per 16 answers (unscored), one guardrail step per 8
 * answers (blocked / redacted / flagged / allowed in turn), and a second
 * project `acme-internal` whose answers all hallucinate.
 */

export const PROJECT = 'default';
export const OTHER_PROJECT = 'acme-internal';
export const ANSWERS_PER_HOUR = 96;
export const SERVICES = ['support-bot', 'search-api'] as const;
export const MODELS = ['gpt-4o-mini', 'claude-sonnet-4-5', 'gpt-4o'] as const;
export const PROVIDERS = ['openai', 'anthropic', 'openai'] as const;
export const TOPICS = [
  { id: 101, label: 'billing', gapRate: 0 },
  { id: 102, label: 'passwords', gapRate: 0.25 },
  { id: 103, label: 'crypto payments', gapRate: 0.5 },
] as const;
export const SAFETY = [
  { evaluator: 'pii', flagged: 'pii', clean: 'no_pii', rate: 0.05 },
  { evaluator: 'prompt_injection', flagged: 'injection', clean: 'benign', rate: 0.1 },
  { evaluator: 'jailbreak', flagged: 'jailbreak', clean: 'benign', rate: 0.15 },
  { evaluator: 'toxicity', flagged: 'toxic', clean: 'non_toxic', rate: 0.2 },
  { evaluator: 'refusal', flagged: 'refusal', clean: 'answer', rate: 0.25 },
] as const;
export const GUARD_DECISIONS = ['blocked', 'redacted', 'flagged', 'allowed'] as const;
export const GUARD_CATEGORIES = ['prompt_injection', 'pii', 'jailbreak', 'toxicity'] as const;

/** Materialized views that refresh on a timer rather than on insert (migration 013): see refreshViews(). */
export const REFRESHED_VIEWS = [
  'feedback_hourly_mv',
  'flagged_traces_hourly_mv',
  'gap_signals_hourly_mv',
  'worst_answers_hourly_mv',
] as const;

export interface SeedOptions {
  /** First answer's time. */
  start: Date;
  hours: number;
  /** Answers per hour (default ANSWERS_PER_HOUR); keep it a multiple of 96 for exact rates. */
  answersPerHour?: number;
  /** Answers of the second project over the same hours (0: none). */
  otherProjectAnswers?: number;
}

const arr = (values: readonly string[]) => `[${values.map((v) => `'${v}'`).join(', ')}]`;

/** The statements that seed every table; run them in order. */
export function seedStatements(options: SeedOptions): string[] {
  const perHour = options.answersPerHour ?? ANSWERS_PER_HOUR;
  const n = perHour * options.hours;
  const startMs = options.start.getTime();
  const stepMs = 3_600_000 / perHour;
  const at = (i: string) => `fromUnixTimestamp64Milli(toInt64(${startMs} + ${i} * ${stepMs}), 'UTC')`;
  const h = 'intDiv(number, 6) % 4';
  const t = 'intDiv(number, 24) % 3';
  const topicId = `toUInt64(101 + ${t})`;
  const gap = `toUInt8(${h} < ${t})`;
  // Graded gap scores whose topic means (billing 0.5, passwords 0.4, crypto 0.6) rank
  // otherwise than the flags do: billing has no flagged gap, but weak retrieval throughout.
  const gapScore = `toFloat32(multiIf(${t} = 0, 0.5, ${t} = 1, 0.3, 0.4) + 0.4 * ${gap})`;
  const model = `${arr(MODELS)}[number % 3 + 1]`;
  const answers = (project: string, count: number, allHallucinate: boolean, idBase: number) => `
INSERT INTO llm_spans (project_id, timestamp, trace_id, span_id, service_name, convention, operation, name, provider,
  request_model, response_model, input_tokens, output_tokens, cost_usd, duration_ns, ttft_ms, status, session_id, user_id,
  metadata, prompt_text, completion_text, topic_id, groundedness, hallucinated, answer_relevance, context_relevance, kb_gap,
  kb_gap_score, gap_signals)
SELECT '${project}', ${at('number')}, lower(hex(toUInt128(number + ${idBase}))), lower(hex(toUInt64(number + ${idBase}))),
  ${allHallucinate ? `'${SERVICES[0]}'` : `${arr(SERVICES)}[number % 2 + 1]`}, 'otel_genai', 'chat', 'chat',
  ${allHallucinate ? `'${PROVIDERS[0]}'` : `${arr(PROVIDERS)}[number % 3 + 1]`},
  ${allHallucinate ? `'${MODELS[0]}'` : model}, ${allHallucinate ? `'${MODELS[0]}'` : model},
  toUInt64(100 + number % 7), toUInt64(50), 0.001, toUInt64((200 + (number % 100) * 10) * 1000000), 100 + number % 50, 'ok',
  concat('s', toString(intDiv(number, 4))), concat('u', toString(number % 37)),
  map('oversight.prompt.version', if(intDiv(number, 6) % 2 = 0, 'v1', 'v2')),
  concat('question ', toString(number), ' about ', ${arr(TOPICS.map((x) => x.label))}[${t} + 1]),
  concat('answer ', toString(number)), ${topicId},
  ${allHallucinate ? 'toFloat32(0.15)' : `toFloat32(if(${h} = 0, 0.15, 0.75) + (number % 3) * 0.1)`},
  ${allHallucinate ? 'toUInt8(1)' : `toUInt8(${h} = 0)`}, toFloat32(0.9), toFloat32(if(${gap} = 1, 0.3, 0.8)), ${gap},
  ${gapScore},
  if(${gap} = 1, ['low_retrieval_score', 'refusal'], [])
FROM numbers(${count})`;

  const statements = [answers(PROJECT, n, false, 0)];
  if (options.otherProjectAnswers)
    statements.push(answers(OTHER_PROJECT, options.otherProjectAnswers, true, 1 << 30));
  // The trace stage sets the quality columns by UPDATE and writes the same scores to the roll-up's
  // ledger (quality_events, sign +1); the seed does the same so llm_quality_hourly sees them.
  statements.push(`
INSERT INTO quality_events (project_id, timestamp, trace_id, span_id, service_name, model, topic_id, sign,
  groundedness, hallucinated, answer_relevance, kb_gap, kb_gap_score)
SELECT project_id, timestamp, trace_id, span_id, service_name, if(response_model != '', response_model, request_model),
  topic_id, 1, groundedness, hallucinated, answer_relevance, kb_gap, kb_gap_score
FROM llm_spans
WHERE isNotNull(hallucinated) OR isNotNull(groundedness) OR isNotNull(answer_relevance) OR isNotNull(kb_gap)`);

  // Failed calls: unscored, no tokens; i' = 16j + j % 6 walks every service/model cell.
  statements.push(`
INSERT INTO llm_spans (project_id, timestamp, trace_id, span_id, service_name, convention, operation, name, provider,
  request_model, response_model, duration_ns, status, error_type, status_message, topic_id)
SELECT '${PROJECT}', ${at('(16 * number + number % 6)')}, lower(hex(toUInt128(16 * number + number % 6))),
  lower(hex(toUInt64(number + ${2 ** 31}))), ${arr(SERVICES)}[(16 * number + number % 6) % 2 + 1], 'otel_genai', 'chat', 'chat',
  ${arr(PROVIDERS)}[(16 * number + number % 6) % 3 + 1], ${arr(MODELS)}[(16 * number + number % 6) % 3 + 1], '',
  toUInt64(500000000), 'error', 'overloaded_error', '529 Overloaded', toUInt64(101 + intDiv(16 * number + number % 6, 24) % 3)
FROM numbers(${Math.floor(n / 16)})`);

  // Guardrail steps and the SDK evaluations the collector derives from them.
  const g = Math.floor(n / 8);
  const decision = `${arr(GUARD_DECISIONS)}[number % 4 + 1]`;
  const category = `${arr(GUARD_CATEGORIES)}[intDiv(number, 4) % 4 + 1]`;
  statements.push(`
INSERT INTO llm_spans (project_id, timestamp, trace_id, span_id, service_name, convention, operation, name, duration_ns, status, metadata)
SELECT '${PROJECT}', ${at('8 * number')}, lower(hex(toUInt128(8 * number))), lower(hex(toUInt64(number + ${2 ** 32}))),
  ${arr(SERVICES)}[number % 2 + 1], 'otel_genai', 'apply_guardrail', 'apply_guardrail support', toUInt64(3000000), 'ok',
  map('gen_ai.guardrail.result.value', ${decision}, 'gen_ai.guardrail.policy.id', 'support-bot')
FROM numbers(${g})`);
  statements.push(`
INSERT INTO evaluations (project_id, timestamp, trace_id, span_id, evaluator, target, score, label, explanation, evaluator_version, source)
SELECT '${PROJECT}', ${at('8 * number')}, lower(hex(toUInt128(8 * number))), lower(hex(toUInt64(number + ${2 ** 32}))),
  ${category}, 'input', 0.9, ${decision}, 'guard', 'sdk-1', 'sdk'
FROM numbers(${g}) WHERE number % 4 != 3`);

  // One collector safety score per answer.
  const e = 'number % 5';
  statements.push(`
INSERT INTO evaluations (project_id, timestamp, trace_id, span_id, evaluator, target, score, label, explanation, evaluator_version, source)
SELECT '${PROJECT}', ${at('number')}, lower(hex(toUInt128(number))), lower(hex(toUInt64(number))),
  ${arr(SAFETY.map((s) => s.evaluator))}[${e} + 1], if(${e} IN (0, 4), 'output', 'input'),
  if(intDiv(number, 5) % 20 < ${e} + 1, 0.95, 0.05),
  if(intDiv(number, 5) % 20 < ${e} + 1, ${arr(SAFETY.map((s) => s.flagged))}[${e} + 1], ${arr(SAFETY.map((s) => s.clean))}[${e} + 1]),
  '', 'v1', 'collector'
FROM numbers(${n})`);
  // Groundedness verdicts with the unsupported sentences, for hallucinated answers.
  statements.push(`
INSERT INTO evaluations (project_id, timestamp, trace_id, span_id, evaluator, target, score, label, explanation, evaluator_version, source)
SELECT '${PROJECT}', ${at('number')}, lower(hex(toUInt128(number))), lower(hex(toUInt64(number))),
  'groundedness', 'output', if(${h} = 0, 0.15, 0.75) + (number % 3) * 0.1, if(${h} = 0, 'hallucinated', 'grounded'),
  if(${h} = 0, concat('unsupported: "claim ', toString(number), '"'), ''), 'v1', 'collector'
FROM numbers(${n})`);

  // The top retrieved document of each answer.
  statements.push(`
INSERT INTO retrieval_documents (project_id, timestamp, trace_id, span_id, data_source_id, query, document_id, rank, score, content, content_hash)
SELECT '${PROJECT}', ${at('number')}, lower(hex(toUInt128(number))), lower(hex(toUInt64(number + ${2 ** 33}))), 'kb-articles',
  concat('question ', toString(number)), concat('kb-', toString(number % 50)), 1, if(${gap} = 1, 0.25, 0.85), '', 0
FROM numbers(${n})`);

  // Feedback; the thumbs are inserted twice, as an SDK retry would (FINAL collapses them).
  const thumbs = `
INSERT INTO feedback (id, project_id, timestamp, trace_id, span_id, user_id, kind, value, comment, correction)
SELECT concat('fb-', toString(number)), '${PROJECT}', ${at('number')} + INTERVAL 30 SECOND, lower(hex(toUInt128(number))),
  lower(hex(toUInt64(number))), concat('u', toString(number % 37)), 'thumbs', if(${h} = 0, 0, 1),
  if(${h} = 0, 'wrong answer', ''), ''
FROM numbers(${n}) WHERE number % 24 IN (0, 7, 14, 21)`;
  statements.push(thumbs, thumbs);
  statements.push(`
INSERT INTO feedback (id, project_id, timestamp, trace_id, span_id, user_id, kind, value, comment, correction)
SELECT concat('fb-', toString(number)), '${PROJECT}', ${at('number')} + INTERVAL 40 SECOND, lower(hex(toUInt128(number))),
  lower(hex(toUInt64(number))), concat('u', toString(number % 37)),
  multiIf(number % 24 = 3, 'regenerate', number % 24 = 9, 'copy', 'edit'), 1, '',
  if(number % 24 = 15, concat('corrected answer ', toString(number)), '')
FROM numbers(${n}) WHERE number % 24 IN (3, 9, 15)`);

  // Topics: 103 first seen a day before the end (new), the others long before; 101 rewritten once.
  const end = startMs + options.hours * 3_600_000;
  const ms = (x: number) => `fromUnixTimestamp64Milli(toInt64(${x}), 'UTC')`;
  const topicRow = (
    id: number,
    label: string,
    firstSeen: number,
    lastSeen: number,
    size: number,
    gaps: number,
  ) =>
    `('${PROJECT}', ${id}, '${label}', ${ms(firstSeen)}, ${ms(lastSeen)}, ${size}, ${gaps}, 'a question about ${label}')`;
  const perTopic = Math.floor(n / 3);
  statements.push(`
INSERT INTO topics (project_id, topic_id, label, first_seen, last_seen, size, gap_count, representative) VALUES
${[
  topicRow(101, 'billing (draft)', startMs - 10 * 86_400_000, startMs, 10, 0),
  topicRow(101, 'billing', startMs - 10 * 86_400_000, end, perTopic, 0),
  topicRow(102, 'passwords', startMs - 10 * 86_400_000, end, perTopic, Math.floor(perTopic / 4)),
  topicRow(103, 'crypto payments', end - 86_400_000, end, perTopic, Math.floor(perTopic / 2)),
].join(',\n')}`);
  return statements;
}
