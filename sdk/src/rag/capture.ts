/**
 * Content capture for the step helpers: the SDK's content policy (capture
 * flag, redact hook, PII masking, size cap), the same one the OpenAI and
 * Anthropic instrumentations use.
 */
import { parseBool } from '../content.ts';
import { getDefaultTelemetry } from '../instrumentation/llm-span.ts';
import { reportInternal, safeJson } from '../safe.ts';

export function contentCaptureEnabled(): boolean {
  // The environment switch is a hard off, even before (or without) init().
  if (parseBool(globalThis.process?.env?.OVERSIGHT_CAPTURE_CONTENT) === false) return false;
  try {
    return getDefaultTelemetry().content.capture;
  } catch (error) {
    reportInternal('reading the content policy', error);
    return false;
  }
}

/** The text as it may be recorded, or undefined when content capture is off. */
export function captureText(text: string): string | undefined {
  return capturePolicyText(text)?.text;
}

/** As `captureText`, and whether the size cap cut it. */
export function capturePolicyText(text: string): { text: string; truncated: boolean } | undefined {
  if (!contentCaptureEnabled()) return undefined;
  try {
    return getDefaultTelemetry().content.text(text);
  } catch (error) {
    // A redact hook that throws must not leak the raw text: nothing is recorded.
    reportInternal('applying the content policy', error);
    return undefined;
  }
}

/** Whether the policy would hand a text of this length back unchanged (captured, no redaction, under the cap). */
export function policyKeepsAsIs(length: number): boolean {
  if (!contentCaptureEnabled()) return false;
  try {
    const policy = getDefaultTelemetry().content;
    return policy.passthrough && length <= policy.maxLength;
  } catch (error) {
    reportInternal('reading the content policy', error);
    return false;
  }
}

/** Keys of message JSON that name its structure, not content: the policy leaves their values be. */
const STRUCTURAL_KEYS = new Set([
  'role',
  'type',
  'id',
  'name',
  'finish_reason',
  'toolCallId',
  'toolName',
  'mimeType',
]);

/**
 * Every string inside `value` (messages, tool arguments) through the content
 * policy on its own, structural keys aside; capping or masking the
 * serialized whole would cut the JSON itself. Undefined when capture is off
 * or the policy failed on any of them: nothing raw is recorded.
 */
export function capturePolicyValue(value: unknown): { value: unknown; truncated: boolean } | undefined {
  if (!contentCaptureEnabled()) return undefined;
  let truncated = false;
  let failed = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      const captured = capturePolicyText(v);
      if (captured === undefined) failed = true;
      else if (captured.truncated) truncated = true;
      return captured?.text ?? '';
    }
    if (depth > 8 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, STRUCTURAL_KEYS.has(k) ? x : walk(x, depth + 1)]),
    );
  };
  const out = walk(value, 0);
  return failed ? undefined : { value: out, truncated };
}

/** Serializes a value (tool arguments, results) for capture; strings pass as they are. */
export function captureValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : safeJson(value);
  return text === undefined ? undefined : captureText(text);
}
