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

/** Serializes a value (tool arguments, results) for capture; strings pass as they are. */
export function captureValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : safeJson(value);
  return text === undefined ? undefined : captureText(text);
}
