import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { groundedness, maskPii, piiScorer, toxicityScorer } from '@oversight/scorers';
import { afterEach, describe, expect, it } from 'vitest';
import { type ContentOptions, ContentPolicy } from '../src/content.ts';
import { createGuard, piiMaskerFrom } from '../src/guard.ts';
import { getDefaultTelemetry, setDefaultTelemetry } from '../src/instrumentation/llm-span.ts';
import { guardTracing } from './guard-fixture.ts';

/**
 * The guard's spans skip the content policy's span processor (they are the
 * SDK's own), so what they say about the checked text must follow the policy
 * by itself: nothing quoted with capture off, masked and capped with it on.
 */
const { onlySpan } = guardTracing();

const previous = getDefaultTelemetry();
function withContent(options: ContentOptions): void {
  setDefaultTelemetry({ ...previous, content: new ContentPolicy(options) });
}
afterEach(() => setDefaultTelemetry(previous));

const CONTEXT = ['The Eiffel Tower was completed in 1889 for the World Fair in Paris.'];
const ANSWER = 'The Eiffel Tower was completed in 1925 by Alice Moreau.';
const INSULT = 'you stupid idiot, my name is Alice Moreau';

const guard = () =>
  createGuard({
    scorers: { pii: piiScorer, toxicity: toxicityScorer },
    maskPii: piiMaskerFrom(maskPii),
    output: { toxicity: { action: 'flag' } },
  });

function reason(span: ReadableSpan): string {
  return String(span.attributes['gen_ai.guardrail.result.reason']);
}
function evaluationExplanation(span: ReadableSpan): string {
  const event = span.events.find((e) => e.name === 'gen_ai.evaluation.result');
  return String(event?.attributes?.['gen_ai.evaluation.explanation']);
}

describe('guard spans and the content policy', () => {
  it('quote no text with captureContent: false, only kinds, codes and counts', () => {
    withContent({ captureContent: false });
    const input = guard().input(INSULT);
    const [pii, toxicity] = input.violations;
    // The scorer's own explanation quotes the insult; the app still gets it.
    expect(toxicity?.explanation).toContain('"you stupid idiot"');
    expect(reason(onlySpan())).toBe(
      `pii ${pii?.score.toFixed(2)}>=0.5 redact: PERSON ×1; ` +
        `toxicity ${toxicity?.score.toFixed(2)}>=0.5 flag: rule:you_are_insult ×1, model_term ×3`,
    );
  });

  it('describe unsupported claims by count and reason with captureContent: false', () => {
    withContent({ captureContent: false });
    const result = guard().output(ANSWER, { context: CONTEXT });
    const expected = groundedness(ANSWER, CONTEXT);
    expect(result.groundedness?.unsupported).toHaveLength(1);
    const codes = expected.unsupported[0]?.reasons.join(', ');
    const span = onlySpan();
    expect(evaluationExplanation(span)).toBe(`1 unsupported claim [${codes}]`);
    const [pii, grounding] = result.violations.map((v) => v.score.toFixed(2));
    expect(reason(span)).toBe(
      `pii ${pii}>=0.5 redact: PERSON ×1; groundedness ${grounding}>=0.5 flag: 1 unsupported claim [${codes}]`,
    );
    expect(JSON.stringify(span.attributes) + JSON.stringify(span.events)).not.toMatch(
      /1925|Alice|Moreau|alice/,
    );
  });

  it("quote with capture on, through the policy's redact hook", () => {
    withContent({ redact: (text) => text.replaceAll('idiot', '[insult]') });
    guard().input(INSULT);
    const text = reason(onlySpan());
    expect(text).toContain('rule:you_are_insult "you stupid [insult]"');
    expect(text).not.toContain('idiot');
  });

  it('quote unsupported claims with capture on, without the name the guard redacted', () => {
    withContent({});
    const result = guard().output(ANSWER, { context: CONTEXT });
    expect(result.redacted).toBe('The Eiffel Tower was completed in 1925 by <PERSON>.');
    const explanation = evaluationExplanation(onlySpan());
    // "alice" and "moreau" are missing terms too: listing them would undo the mask.
    expect(explanation).toBe(
      '"The Eiffel Tower was completed in 1925 by <PERSON>." [number_missing, entity_missing; missing: 1925]',
    );
    expect(reason(onlySpan())).toContain(explanation);
  });

  it('cap quotes at the policy size', () => {
    withContent({ maxContentLength: 20 });
    guard().output(ANSWER, { context: CONTEXT });
    expect(evaluationExplanation(onlySpan())).toBe('"The Eiffel Tower was" [number_missing, entity_missing]');
  });
});
