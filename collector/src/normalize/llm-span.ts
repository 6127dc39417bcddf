/**
 * The canonical LLM/RAG step every convention adapter produces. One shape for
 * OTel GenAI (old and new), OpenInference, OpenLLMetry and the Vercel AI SDK,
 * so enrichment, storage and dashboards never care who emitted the span.
 */

/**
 * `gen_ai.operation.name` values, plus the model calls the conventions have no
 * name for: `rerank`, and the AI SDK's `generateSpeech` (text to audio),
 * `transcribe` (audio to text) and `decide` (typed answers about a state the
 * app gives) as `generate_speech`, `transcribe` and `decide`. Those three are
 * billed calls but answer nobody: kept apart from the generations that
 * pairing and the answer scorers read, a decision made after the answer
 * does not take the turn's answer, gap verdict and feedback from it.
 */
export type Operation =
  | 'chat'
  | 'text_completion'
  | 'generate_content'
  | 'embeddings'
  | 'retrieval'
  | 'rerank'
  | 'generate_speech'
  | 'transcribe'
  | 'decide'
  | 'execute_tool'
  | 'create_agent'
  | 'invoke_agent'
  | 'invoke_workflow'
  | 'apply_guardrail';

export type Convention = 'otel-genai' | 'otel-genai-legacy' | 'openinference' | 'openllmetry' | 'vercel-ai';

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text as the model produced it. */
  arguments: string;
}

export interface Message {
  role: string;
  /** Text parts joined with newlines; non-text parts are described, not dropped. */
  content: string;
  toolCalls?: ToolCall[];
  /** For a `tool` role message: the call it answers. */
  toolCallId?: string;
  finishReason?: string;
}

export interface RetrievedDocument {
  id: string;
  /** 1-based position in the result list. */
  rank: number;
  score: number | null;
  content: string;
  metadata?: Record<string, unknown>;
}

/** A decision the conventions' decision words map onto; other emitters' words pass through lowercased. */
export type GuardrailDecision = 'allowed' | 'flagged' | 'redacted' | 'blocked' | (string & {});

export interface GuardrailRisk {
  /** `gen_ai.guardrail.risk.category`: `pii`, `prompt_injection`, … */
  category: string;
  /** `gen_ai.guardrail.risk.score`, in [0, 1] when the emitter follows the SDK. */
  score: number | null;
  /** What this category's rule did; the span's decision is the most severe of these. */
  decision: GuardrailDecision;
}

/** An `apply_guardrail` step: what was checked, against which policy, and what was decided. */
export interface Guardrail {
  decision: GuardrailDecision;
  policyId: string;
  policyVersion: string;
  /** `gen_ai.guardrail.component.name`. */
  component: string;
  /** Which text the guard checked: `input` (prompt) or `output` (completion), as the emitter says. */
  source: string;
  reason: string;
  categories: GuardrailRisk[];
}

export interface LlmSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  convention: Convention;
  operation: Operation;
  name: string;
  serviceName: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** Provider as the OTel GenAI conventions spell it (`openai`, `azure.ai.openai`, …). */
  provider: string;
  requestModel: string;
  responseModel: string;
  responseId: string;
  /** temperature, max_tokens, top_p, … keyed by the `gen_ai.request.*` suffix. */
  requestParams: Record<string, number | string | boolean | string[]>;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadInputTokens: number | null;
  cacheCreationInputTokens: number | null;
  reasoningOutputTokens: number | null;
  /** USD, when the emitter reported it (the Oversight SDK prices its spans; the collector prices nothing). */
  costUsd: number | null;
  finishReasons: string[];
  /** Time to first token/chunk of a streamed response, milliseconds. */
  timeToFirstTokenMs: number | null;
  inputMessages: Message[];
  outputMessages: Message[];
  systemInstructions: string;
  toolCalls: ToolCall[];
  /** For execute_tool spans. */
  toolName: string;
  toolArguments: string;
  toolResult: string;
  retrievalQuery: string;
  documents: RetrievedDocument[];
  /** For rerank spans: the candidates handed to the reranker (`documents` are its output). */
  inputDocuments: RetrievedDocument[];
  dataSourceId: string;
  /** `oversight.retrieval.query.embedding`, reused by the topic clusterer. */
  queryEmbedding: number[] | null;
  /** `gen_ai.workflow.name` of an invoke_workflow span. */
  workflowName: string;
  /** Set on apply_guardrail spans. */
  guardrail: Guardrail | null;
  sessionId: string;
  userId: string;
  metadata: Record<string, string>;
  status: 'ok' | 'error' | 'unset';
  errorType: string;
  statusMessage: string;
}
