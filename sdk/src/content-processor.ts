/**
 * The content policy (capture switch, redact hook, PII masks, size cap) for
 * spans the SDK's own code did not write: the Vercel AI SDK records prompts
 * and answers through its own telemetry, which knows nothing of the policy.
 * Runs as the span ends, before the batch processor hands it to the
 * exporter, so nothing the policy would withhold leaves the process.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import * as C from '@oversight/conventions/attributes';
import type { ContentPolicy } from './content.ts';
import { activeContentPolicy, capturePolicyValue } from './rag/capture.ts';
import { reportInternal } from './safe.ts';

/** Attributes that carry message or tool text, as JSON or plain text. */
const CONTENT_ATTRIBUTES: readonly string[] = [
  C.ATTR_GEN_AI_INPUT_MESSAGES,
  C.ATTR_GEN_AI_OUTPUT_MESSAGES,
  C.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  C.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  C.ATTR_GEN_AI_TOOL_CALL_RESULT,
  ...C.AI_SDK_CONTENT_ATTRIBUTES,
];

/** Spans of these scopes went through the policy as they were written. */
const OWN_SCOPE = '@oversight/';

function policyApplied(policy: ContentPolicy, raw: string): { text: string; truncated: boolean } | undefined {
  let parsed: unknown = raw;
  try {
    // Message JSON: each text inside on its own, so the JSON stays whole.
    if (raw.startsWith('[') || raw.startsWith('{')) parsed = JSON.parse(raw);
  } catch {
    // Not JSON after all: the policy reads it as one text.
    parsed = raw;
  }
  const captured = capturePolicyValue(parsed, policy);
  if (captured === undefined) return undefined;
  const text = typeof captured.value === 'string' ? captured.value : JSON.stringify(captured.value);
  return { text, truncated: captured.truncated };
}

export class ContentPolicySpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (span.instrumentationScope.name.startsWith(OWN_SCOPE)) return;
    // An ended span's attributes are still its own object: the exporter reads what is left here.
    const attributes = span.attributes as Record<string, unknown>;
    try {
      // Read once a span; undefined when capture is off, and every content attribute goes.
      const policy = activeContentPolicy();
      for (const key of CONTENT_ATTRIBUTES) {
        const value = attributes[key];
        if (typeof value === 'string') {
          // The common case costs a length check: no redaction, no masks, under the cap.
          if (policy?.passthrough && value.length <= policy.maxLength) continue;
          const captured = policy && policyApplied(policy, value);
          if (captured === undefined) delete attributes[key];
          else {
            attributes[key] = captured.text;
            if (captured.truncated) attributes[C.ATTR_OVERSIGHT_CONTENT_TRUNCATED] = true;
          }
        } else if (Array.isArray(value)) {
          // A list of texts (the AI SDK's `ai.values`, one per input embedded): each on its own.
          const texts: string[] = [];
          for (const item of value) {
            const captured = policy && typeof item === 'string' ? policyApplied(policy, item) : undefined;
            if (captured === undefined) break;
            texts.push(captured.text);
            if (captured.truncated) attributes[C.ATTR_OVERSIGHT_CONTENT_TRUNCATED] = true;
          }
          if (texts.length === value.length) attributes[key] = texts;
          else delete attributes[key];
        }
      }
    } catch (error) {
      // Withhold rather than leak: the content goes, the span stays.
      reportInternal('applying the content policy to a span', error);
      for (const key of CONTENT_ATTRIBUTES) delete attributes[key];
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
