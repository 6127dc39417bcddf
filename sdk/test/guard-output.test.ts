import { groundedness, piiScorer } from '@oversight/scorers';
import { describe, expect, it } from 'vitest';
import { createGuard } from '../src/guard.ts';
import { guardTracing } from './guard-fixture.ts';

/**
 * guard.output(answer, { context, question }): the groundedness verdict in the
 * request path, decided by the output policy and recorded on the guard span as
 * a hallucination risk (when it fires) and a groundedness evaluation (always).
 */
const { exporter, onlySpan } = guardTracing();

const CONTEXT = [
  'The Eiffel Tower was completed in 1889 for the World Fair in Paris.',
  'It is 330 metres tall and was the tallest structure in the world until 1930.',
];
const QUESTION = 'When was the Eiffel Tower completed?';
const WRONG = 'The Eiffel Tower was completed in 1925. It is 330 metres tall.';
const RIGHT = 'The Eiffel Tower was completed in 1889, for the World Fair in Paris.';

// Injected scorers keep the text categories quiet, so only groundedness decides.
const quiet = { scorers: { pii: piiScorer } };

describe('guard.output with context', () => {
  it('flags an unsupported answer by default, with the unsupported claim and the scorer’s score', () => {
    const result = createGuard(quiet).output(WRONG, { context: CONTEXT, question: QUESTION });
    const expected = groundedness(WRONG, CONTEXT, { question: QUESTION });
    expect(expected.label).toBe('hallucinated');
    expect(result.allowed).toBe(true);
    expect(result.decision).toBe('flagged');
    expect(result.groundedness?.label).toBe('hallucinated');
    expect(result.groundedness?.score).toBeCloseTo(expected.score, 12);
    expect(result.groundedness?.unsupported[0]?.claim).toContain('1925');
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]).toMatchObject({ category: 'groundedness', action: 'flag', threshold: 0.5 });
    expect(result.violations[0]?.score).toBeCloseTo(1 - expected.score, 12);

    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'apply_guardrail',
      'gen_ai.guardrail.source': 'output',
      'gen_ai.guardrail.result.value': 'flagged',
    });
    const risk = span.events.find((e) => e.name === 'gen_ai.guardrail.result');
    expect(risk?.attributes?.['gen_ai.guardrail.risk.category']).toBe('hallucination');
    const evaluation = span.events.find((e) => e.name === 'gen_ai.evaluation.result');
    expect(evaluation?.attributes).toMatchObject({
      'gen_ai.evaluation.name': 'groundedness',
      'gen_ai.evaluation.score.label': 'hallucinated',
    });
    expect(evaluation?.attributes?.['gen_ai.evaluation.score.value']).toBeCloseTo(expected.score, 12);
    expect(String(evaluation?.attributes?.['gen_ai.evaluation.explanation'])).toContain('1925');
  });

  it('allows a supported answer and still records its groundedness', () => {
    const result = createGuard(quiet).output(RIGHT, { context: CONTEXT.join('\n\n'), question: QUESTION });
    expect(result.decision).toBe('allowed');
    expect(result.violations).toEqual([]);
    expect(result.groundedness?.label).toBe('grounded');
    const span = onlySpan();
    expect(span.events.map((e) => e.name)).toEqual(['gen_ai.evaluation.result']);
    expect(span.events[0]?.attributes?.['gen_ai.evaluation.score.label']).toBe('grounded');
  });

  it('a context prepared ahead gives the same verdict', () => {
    const guard = createGuard(quiet);
    const prepared = guard.prepareContext(CONTEXT);
    const ahead = guard.output(WRONG, { context: prepared, question: QUESTION });
    const inline = guard.output(WRONG, { context: CONTEXT, question: QUESTION });
    expect(ahead.groundedness).toEqual(inline.groundedness);
    expect(ahead.decision).toBe('flagged');
  });

  it('a refusal is not a hallucination', () => {
    const result = createGuard(quiet).output("I don't know, the documents do not say.", {
      context: CONTEXT,
      question: 'Who designed the lift?',
    });
    expect(result.decision).toBe('allowed');
    expect(result.groundedness).toMatchObject({ label: 'grounded', refusal: true });
  });

  it('blocks, or redacts the unsupported sentence, as the policy says', async () => {
    const blocking = createGuard({ ...quiet, output: { groundedness: { action: 'block' } } });
    expect(blocking.output(WRONG, { context: CONTEXT }).allowed).toBe(false);
    const call = await blocking.call(QUESTION, () => WRONG, {
      grounding: { context: CONTEXT, question: QUESTION },
      blockedMessage: 'Let me check that with a colleague.',
    });
    expect(call).toMatchObject({
      blocked: true,
      blockedAt: 'output',
      text: 'Let me check that with a colleague.',
    });

    const redacting = createGuard({ ...quiet, output: { groundedness: { action: 'redact' } } });
    const redacted = redacting.output(WRONG, { context: CONTEXT, question: QUESTION });
    expect(redacted.decision).toBe('redacted');
    expect(redacted.redacted).not.toContain('1925');
    expect(redacted.redacted).toContain('<UNSUPPORTED>');
  });

  it('redact masks every occurrence of an unsupported sentence', () => {
    const redacting = createGuard({ ...quiet, output: { groundedness: { action: 'redact' } } });
    const claim = 'The Eiffel Tower was completed in 1925.';
    const result = redacting.output(`${claim}\nIt is 330 metres tall.\n${claim}`, { context: CONTEXT });
    expect(result.groundedness?.unsupported.map((u) => u.claim)).toContain(claim);
    expect(result.decision).toBe('redacted');
    expect(result.redacted).toBe('<UNSUPPORTED>\nIt is 330 metres tall.\n<UNSUPPORTED>');
  });

  it('redact masks the whole answer when an unsupported claim is not in it verbatim', () => {
    const redacting = createGuard({ ...quiet, output: { groundedness: { action: 'redact' } } });
    // A bare "Yes." is scored as the question it answers, which the answer does not contain.
    const result = redacting.output('Yes.', {
      context: CONTEXT,
      question: 'Was the Eiffel Tower completed in 1925?',
    });
    expect(result.groundedness?.label).toBe('hallucinated');
    expect(result.groundedness?.unsupported.map((u) => u.claim)).toEqual([
      'Was the Eiffel Tower completed in 1925?',
    ]);
    expect(result.decision).toBe('redacted');
    expect(result.redacted).toBe('<UNSUPPORTED>');
  });

  it('a threshold override decides on the risk; off and no context skip the check', () => {
    const lenient = createGuard({ ...quiet, output: { groundedness: { action: 'flag', threshold: 0.99 } } });
    expect(lenient.output(WRONG, { context: CONTEXT }).decision).toBe('allowed');
    const off = createGuard({ ...quiet, output: { groundedness: { action: 'off' } } });
    expect(off.output(WRONG, { context: CONTEXT }).groundedness).toBeUndefined();
    exporter.reset();
    const plain = createGuard(quiet).output(WRONG);
    expect(plain.groundedness).toBeUndefined();
    expect(onlySpan().events).toEqual([]);
  });
});
