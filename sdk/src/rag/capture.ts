/**
 * Content capture for the step helpers: the SDK's content policy (capture
 * flag, redact hook, PII masking, size cap), the same one the OpenAI and
 * Anthropic instrumentations use.
 */
import { type ContentPolicy, parseBool } from '../content.ts';
import { getDefaultTelemetry } from '../instrumentation/llm-span.ts';
import { reportInternal, safeJson } from '../safe.ts';

/** The content policy in force, or undefined when capture is off. */
export function activeContentPolicy(): ContentPolicy | undefined {
  // The environment switch is a hard off, even before (or without) init().
  if (parseBool(globalThis.process?.env?.OVERSIGHT_CAPTURE_CONTENT) === false) return undefined;
  try {
    const policy = getDefaultTelemetry().content;
    return policy.capture ? policy : undefined;
  } catch (error) {
    reportInternal('reading the content policy', error);
    return undefined;
  }
}

export function contentCaptureEnabled(): boolean {
  return activeContentPolicy() !== undefined;
}

/** One text through `policy`; undefined when its redact hook threw, so the raw text is not recorded. */
function policyText(policy: ContentPolicy, text: string): { text: string; truncated: boolean } | undefined {
  try {
    return policy.text(text);
  } catch (error) {
    reportInternal('applying the content policy', error);
    return undefined;
  }
}

/** The text as it may be recorded, or undefined when content capture is off. */
export function captureText(text: string): string | undefined {
  const policy = activeContentPolicy();
  return policy && policyText(policy, text)?.text;
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
export function capturePolicyValue(
  value: unknown,
  policy = activeContentPolicy(),
): { value: unknown; truncated: boolean } | undefined {
  if (!policy) return undefined;
  let truncated = false;
  let failed = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      const captured = policyText(policy, v);
      if (captured === undefined) failed = true;
      else if (captured.truncated) truncated = true;
      return captured?.text ?? '';
    }
    if (v === null || typeof v !== 'object') return v;
    // Deeper than this, the rest goes through the policy as one JSON text: never past it unread.
    if (depth > 8) return walk(safeJson(v) ?? '', depth);
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
