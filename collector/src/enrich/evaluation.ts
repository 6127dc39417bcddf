/**
 * One score about one span, whoever produced it: the collector's scorers, an
 * SDK guardrail, or an app that emitted a `gen_ai.evaluation.result` event.
 */
export interface Evaluation {
  traceId: string;
  spanId: string;
  /** `pii`, `prompt_injection`, `toxicity`, … or an app's own evaluator name. */
  evaluator: string;
  /** Which text was scored: the step's input, its output, or the step as a whole. */
  target: 'input' | 'output' | 'span';
  score: number | null;
  label: string;
  explanation: string;
  evaluatorVersion: string;
  source: 'collector' | 'sdk' | 'app';
  timeUnixNano: bigint;
}
