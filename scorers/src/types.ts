/**
 * The contract every text scorer keeps. Scorers are pure (no I/O, no clock),
 * so the SDK's guardrails on the request path and the collector's enrichment
 * run the very same code and agree on every verdict.
 */

/** Where in the scored text a piece of evidence sits. */
export interface Evidence {
  /** What matched: an entity type (`EMAIL_ADDRESS`), a rule id, or a model feature. */
  kind: string;
  /** Character offsets into the scored text, end exclusive; absent for whole-text evidence. */
  start?: number;
  end?: number;
  /** The matched text (scorers that find secrets may shorten it). */
  text?: string;
  /** How much this piece contributed, when the scorer can tell. */
  weight?: number;
}

export interface ScoreResult {
  /** Evaluator name as stored in `evaluations.evaluator` (`pii`, `prompt_injection`, …). */
  name: string;
  /** In [0, 1]; higher means more of what the scorer looks for. */
  score: number;
  /** Positive label when `score >= threshold`, else the negative one. */
  label: string;
  /** Whether score crossed the scorer's threshold. */
  flagged: boolean;
  threshold: number;
  evidence: Evidence[];
  /** Short human-readable reason, stored as the evaluation's explanation. */
  explanation: string;
  /** Bumped whenever rules or weights change, so stored scores stay comparable. */
  version: string;
}

export interface TextScorer {
  readonly name: string;
  readonly version: string;
  /** Shipped decision threshold on `score`. */
  readonly threshold: number;
  score(text: string): ScoreResult;
}

/**
 * A scorer backed by a model outside the process's pure code (a local ONNX
 * classifier, an LLM judge behind an HTTP endpoint). Same result shape; async,
 * and not pure, so it belongs in the collector's enrichment rather than on a
 * request path that needs sub-millisecond answers.
 */
export interface AsyncTextScorer {
  readonly name: string;
  readonly version: string;
  readonly threshold: number;
  score(text: string): Promise<ScoreResult>;
  /** Releases the model or connection, when there is one. */
  close?(): Promise<void>;
}
