/**
 * Real-time guardrails on the request path: the same pure scorers the
 * collector runs afterwards decide, before an LLM call and after it, whether
 * text is allowed, flagged, redacted or blocked. Each check is recorded as an
 * `apply_guardrail` span. A guard never throws: a scorer that fails is skipped
 * (fail open) and the failure is recorded on the span.
 *
 * Given the context the answer was generated from, `output` also checks
 * groundedness (the collector's trace-stage scorer), so an app can withhold or
 * flag an unsupported answer before the user sees it.
 */
import { type Attributes, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import * as C from '@oversight/conventions/attributes';
import type { ContextIndex, Evidence, TextScorer } from '@oversight/scorers';
import { z } from 'zod';
import { maskRanges } from './content.ts';
import { activeContentPolicy, capturePolicyValue } from './rag/capture.ts';
import { contentId } from './rag/documents.ts';
import { didYouMean, oneLine, reportInternal } from './safe.ts';
import { loadScorers } from './scorers-loader.ts';

export const GUARD_CATEGORIES = ['pii', 'prompt_injection', 'jailbreak', 'toxicity', 'refusal'] as const;
export type GuardCategory = (typeof GUARD_CATEGORIES)[number];
/** What a violation is about: a text scorer's category, or an answer the context does not support. */
export type GuardCheck = GuardCategory | 'groundedness';
export type GuardAction = 'block' | 'flag' | 'redact' | 'off';
export type GuardStage = 'input' | 'output';
/** The decision for one text, most severe action that fired. */
export type GuardDecision = 'allowed' | 'flagged' | 'redacted' | 'blocked';

const RuleSchema = z.object({
  action: z.enum(['block', 'flag', 'redact', 'off']),
  /** Overrides the scorer's shipped threshold; a violation is `score >= threshold`. */
  threshold: z.number().min(0).max(1).optional(),
});
export type GuardRule = z.infer<typeof RuleSchema>;

export const GuardPolicySchema = z.object({
  pii: RuleSchema.optional(),
  prompt_injection: RuleSchema.optional(),
  jailbreak: RuleSchema.optional(),
  toxicity: RuleSchema.optional(),
  refusal: RuleSchema.optional(),
  /**
   * Output only, when `output()` is given context. The violation score is the
   * hallucination risk, 1 − groundedness; without a threshold the scorer's
   * label decides. `redact` masks every occurrence of each unsupported
   * sentence, and the whole answer when a claim is not in it word for word.
   */
  groundedness: RuleSchema.optional(),
});
export type GuardPolicy = z.infer<typeof GuardPolicySchema>;

export const DEFAULT_INPUT_POLICY: GuardPolicy = {
  prompt_injection: { action: 'block' },
  jailbreak: { action: 'block' },
  pii: { action: 'redact' },
  toxicity: { action: 'flag' },
};

export const DEFAULT_OUTPUT_POLICY: GuardPolicy = {
  pii: { action: 'redact' },
  toxicity: { action: 'flag' },
  // A refusal is not harmful, but refusals mark questions the knowledge base cannot answer.
  refusal: { action: 'flag' },
  groundedness: { action: 'flag' },
};

export type PiiMasker = (text: string, evidence: readonly Evidence[]) => string;

/**
 * Adapts the scorers' `maskPii(text, findings?)` to the guard, handing it the
 * evidence as findings (`kind` is the finding's type) so nothing is detected twice.
 */
export function piiMaskerFrom<F>(maskPii: (text: string, findings?: readonly F[]) => string): PiiMasker {
  return (text, evidence) => {
    const findings: F[] = [];
    for (const e of evidence) {
      if (e.start === undefined || e.end === undefined || e.end <= e.start) continue;
      const finding = {
        type: e.kind,
        start: e.start,
        end: e.end,
        text: text.slice(e.start, e.end),
        confidence: e.weight ?? 1,
      };
      findings.push(finding as F);
    }
    return maskPii(text, findings);
  };
}

export interface GuardViolation {
  category: GuardCheck;
  action: Exclude<GuardAction, 'off'>;
  score: number;
  threshold: number;
  evidence: Evidence[];
  explanation: string;
}

export interface GuardResult {
  /** False only when a `block` rule fired. */
  allowed: boolean;
  decision: GuardDecision;
  violations: GuardViolation[];
  /** The text with every `redact` violation masked; the input text when nothing was redacted. */
  redacted: string;
  /** Categories whose scorer is missing or failed; they were not checked. */
  skipped: GuardCheck[];
  /** The groundedness verdict, when `output()` was given context. */
  groundedness?: GroundednessVerdict;
}

/** What `output()` checks the answer against. */
export interface OutputGrounding {
  /**
   * The documents the answer was generated from, or `guard.prepareContext(documents)`:
   * indexing 2,000 words costs a few milliseconds, which an app can spend while
   * the model is still generating instead of after it.
   */
  context: string | readonly string[] | PreparedContext;
  /** The question, so its own words in the answer need no support. */
  question?: string | undefined;
}

/** Documents indexed for groundedness checks; reusable for every answer drawn from them. */
export type PreparedContext = ContextIndex;

export interface GroundednessVerdict {
  /** 1 = every claim supported by the context, 0 = none. */
  score: number;
  label: 'grounded' | 'hallucinated';
  /** The answer declines or says it does not know: not a hallucination. */
  refusal: boolean;
  /** Claims the context does not support, worst first. */
  unsupported: { claim: string; reasons: string[]; missing: string[] }[];
}

export interface GuardOptions {
  /** Rules for prompts, merged category by category over `DEFAULT_INPUT_POLICY`. */
  input?: GuardPolicy | undefined;
  /** Rules for completions, merged over `DEFAULT_OUTPUT_POLICY`. */
  output?: GuardPolicy | undefined;
  /**
   * Scorers by category, replacing the built-in set (the scorers of
   * `@oversight/scorers`) as a whole: a category whose rule is on but has no
   * scorer here is not checked, which one warning names.
   */
  scorers?: Partial<Record<GuardCategory, TextScorer>> | undefined;
  /**
   * Masks the PII the scorer found (its evidence above threshold) in a text;
   * default: the scorers' `maskPii`, fed that evidence so nothing is detected twice.
   */
  maskPii?: PiiMasker | undefined;
  /** `gen_ai.guardrail.policy.id`. */
  policyId?: string | undefined;
  /** `gen_ai.guardrail.policy.version`; default: a hash of the effective policies. */
  policyVersion?: string | undefined;
  /** `gen_ai.guardrail.component.name`, also in the span name. */
  name?: string | undefined;
  /** Record `apply_guardrail` spans. Default true. */
  record?: boolean | undefined;
  /**
   * Run `warm()` right after `createGuard`, so the first guarded request does not
   * pay the scorers' model load (≈ 0.3 s on a 2-core machine). Default true; the
   * shared `guard` instance is created with false, so importing the SDK loads no model.
   */
  warm?: boolean | undefined;
}

export interface GuardedCall<T> {
  /** What to show the user: the (redacted) model output, or the blocked message. */
  text: string;
  blocked: boolean;
  blockedAt?: GuardStage;
  input: GuardResult;
  output?: GuardResult;
  /** The wrapped function's own return value, when it ran. */
  result?: T;
}

export interface CallOptions<T> {
  /** Returned as `text` when a check blocks. */
  blockedMessage?: string | undefined;
  /**
   * Reads the completion text out of the function's result; default: the result itself, its
   * `text`/`content`, or the answer of an OpenAI or Anthropic client's completion (not a stream).
   */
  outputText?: ((result: T) => string) | undefined;
  /** Checks the completion's groundedness against this context (see `Guard.output`). */
  grounding?: OutputGrounding | undefined;
}

export interface Guard {
  /**
   * Loads the built-in scorers and scores one short text with each, on the next
   * turn of the event loop rather than on a request. Idempotent; never rejects.
   * Custom `scorers` are never called for it.
   */
  warm(): Promise<void>;
  input(text: string): GuardResult;
  /** With `grounding`, also whether the answer is supported by the context it came from. */
  output(text: string, grounding?: OutputGrounding): GuardResult;
  /**
   * Indexes documents for `output(answer, { context })` ahead of time. Never
   * throws: if the scorers cannot load, the documents come back as they are.
   */
  prepareContext(documents: string | readonly string[]): PreparedContext | readonly string[];
  /** Checks the input, calls `fn` with the (redacted) input unless blocked, then checks the output. */
  call<T>(
    input: string,
    fn: (safeInput: string) => T | Promise<T>,
    options?: CallOptions<T>,
  ): Promise<GuardedCall<T>>;
  /** `call` as middleware: `(input) => Promise<text>`; blocked calls resolve to the blocked message. */
  wrap<T>(
    fn: (safeInput: string) => T | Promise<T>,
    options?: CallOptions<T>,
  ): (input: string) => Promise<string>;
  readonly inputPolicy: GuardPolicy;
  readonly outputPolicy: GuardPolicy;
}

export const DEFAULT_BLOCKED_MESSAGE = "Sorry, I can't help with that request.";

const ATTR = {
  operationName: C.ATTR_GEN_AI_OPERATION_NAME,
  componentName: C.ATTR_GEN_AI_GUARDRAIL_COMPONENT_NAME,
  policyId: C.ATTR_GEN_AI_GUARDRAIL_POLICY_ID,
  policyVersion: C.ATTR_GEN_AI_GUARDRAIL_POLICY_VERSION,
  resultType: C.ATTR_GEN_AI_GUARDRAIL_RESULT_TYPE,
  resultValue: C.ATTR_GEN_AI_GUARDRAIL_RESULT_VALUE,
  resultReason: C.ATTR_GEN_AI_GUARDRAIL_RESULT_REASON,
  source: C.ATTR_GEN_AI_GUARDRAIL_SOURCE,
  riskCategory: C.ATTR_GEN_AI_GUARDRAIL_RISK_CATEGORY,
  riskScore: C.ATTR_GEN_AI_GUARDRAIL_RISK_SCORE,
  violations: C.ATTR_OVERSIGHT_GUARDRAIL_VIOLATIONS,
  skipped: C.ATTR_OVERSIGHT_GUARDRAIL_SKIPPED,
  errorType: C.ATTR_ERROR_TYPE,
  evaluationName: C.ATTR_GEN_AI_EVALUATION_NAME,
  evaluationScore: C.ATTR_GEN_AI_EVALUATION_SCORE_VALUE,
  evaluationLabel: C.ATTR_GEN_AI_EVALUATION_SCORE_LABEL,
  evaluationExplanation: C.ATTR_GEN_AI_EVALUATION_EXPLANATION,
  evaluationVersion: C.ATTR_OVERSIGHT_EVALUATION_VERSION,
} as const;

// ---------------------------------------------------------------------------
// Default scorers, loaded on first use so a guard built with injected scorers
// (or an app that never guards) does not pay for loading them.

interface Defaults {
  scorers: Partial<Record<GuardCategory, TextScorer>>;
  maskPii: PiiMasker | undefined;
}

let defaults: Defaults | undefined;

/** The scorers package's scorers for every category and its PII masker; none if they fail to load. */
export function defaultGuardScorers(): Defaults {
  if (defaults) return defaults;
  try {
    const s = loadScorers();
    defaults = {
      scorers: {
        pii: s.piiScorer,
        prompt_injection: s.promptInjectionScorer,
        jailbreak: s.jailbreakScorer,
        toxicity: s.toxicityScorer,
        refusal: s.refusalScorer,
      },
      maskPii: piiMaskerFrom(s.maskPii),
    };
  } catch (error) {
    // Fail open like a failing scorer: every category reports itself skipped.
    warnOnce(
      'scorers',
      `guard scorers failed to load (${error instanceof Error ? error.message : String(error)}); every check is skipped`,
    );
    defaults = { scorers: {}, maskPii: undefined };
  }
  return defaults;
}

/**
 * Scores one short text with every built-in scorer on the next turn of the
 * event loop: the first score of each model builds its tables, which would
 * otherwise land on the app's first guarded request.
 */
function warmUp(resolve: () => Defaults): Promise<void> {
  return new Promise((done) => {
    setImmediate(() => {
      try {
        const { scorers, maskPii } = resolve();
        for (const scorer of Object.values(scorers)) scorer?.score('Warm-up: is the order #1234 on its way?');
        maskPii?.('warm-up', []);
        // The groundedness path (tokeniser tables, context index) compiles on
        // its first call too: ≈ 40 ms that would land on the first output().
        loadScorers().groundedness('Warm-up: orders ship in 3 days.', [
          'Orders ship within 3 days of payment.',
        ]);
      } catch (error) {
        // The guard still works; the first request pays the load instead.
        reportInternal('warming the guard scorers', error);
      }
      done();
    });
  });
}

// ---------------------------------------------------------------------------

/**
 * The app's rules over the defaults, category by category: a rule that does
 * not validate, or a category the guard does not know (a typo), is named in
 * one warning and leaves that category's default in force; the other rules
 * still apply.
 */
function parsePolicy(stage: GuardStage, policy: unknown, fallback: GuardPolicy): GuardPolicy {
  const out: GuardPolicy = { ...fallback };
  if (policy === undefined || policy === null) return out;
  if (typeof policy !== 'object' || Array.isArray(policy)) {
    warnOnce(`${stage}:not-an-object`, `${stage} guard policy ignored: not an object of rules`);
    return out;
  }
  const problems: string[] = [];
  for (const [category, rule] of Object.entries(policy)) {
    // An unset rule (`pii: cond ? rule : undefined`) leaves the default, as an absent one does.
    if (rule === undefined) continue;
    if (!Object.hasOwn(GuardPolicySchema.shape, category)) {
      problems.push(`${category}: unknown category (known: ${GUARD_CHECKS.join(', ')})`);
      continue;
    }
    const parsed = RuleSchema.optional().safeParse(rule);
    if (parsed.success) out[category as GuardCheck] = parsed.data;
    else
      problems.push(
        parsed.error.issues.map((i) => `${[category, ...i.path].join('.')}: ${i.message}`).join('; '),
      );
  }
  if (problems.length > 0) {
    const list = problems.join('; ');
    warnOnce(`${stage}:${list}`, `${stage} guard policy: ${list}; the default rule applies there`);
  }
  return out;
}

const GUARD_CHECKS: readonly GuardCheck[] = [...GUARD_CATEGORIES, 'groundedness'];

const warned = new Set<string>();
/** One process warning per problem: a second, different problem is still said. */
function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  try {
    process.emitWarning(oneLine(message), { code: 'OVERSIGHT_GUARD' });
  } catch (error) {
    // A warning listener that throws is the app's; the guard keeps its fallback policy.
    reportInternal('emitting a guard warning', error);
  }
}

/**
 * Given scorers replace the built-in ones, so `{ toxicity: myModel }` alone
 * would quietly stop blocking injections and redacting PII: the categories
 * left without a scorer are named once, at setup rather than per request.
 */
function warnUnscored(
  scorers: Partial<Record<GuardCategory, TextScorer>>,
  inputPolicy: GuardPolicy,
  outputPolicy: GuardPolicy,
): void {
  const on = (policy: GuardPolicy, category: GuardCategory) => {
    const action = policy[category]?.action;
    return action !== undefined && action !== 'off';
  };
  const missing = GUARD_CATEGORIES.filter((c) => !scorers[c] && (on(inputPolicy, c) || on(outputPolicy, c)));
  if (missing.length === 0) return;
  const list = missing.join(', ');
  warnOnce(
    `unscored:${list}`,
    `guard scorers given without ${list}: those checks are skipped (the given scorers replace the built-in ones; pass a scorer for each, or set its rule's action to 'off')`,
  );
}

/** Masks evidence ranges with `<KIND>`, for categories without a dedicated masker. */
function maskEvidence(text: string, evidence: readonly Evidence[]): string {
  return maskRanges(text, evidence, (kind) => `<${kind}>`);
}

/** Evidence that carried the verdict: scorers also list near-threshold candidates for review. */
function confidentEvidence(v: GuardViolation): Evidence[] {
  return v.evidence.filter((e) => e.weight === undefined || e.weight >= v.threshold);
}

function located(e: Evidence): boolean {
  return e.start !== undefined && e.end !== undefined && e.end > e.start;
}

/**
 * What a `redact` violation masks: its confident evidence, or the whole text
 * when some of that evidence is about the whole text (no offsets) or there is
 * none to point at. A decision of `redacted` must never hand the text back as
 * it was.
 */
function redactRanges(v: GuardViolation, length: number): Evidence[] {
  const confident = confidentEvidence(v);
  const kind = v.category === C.OVERSIGHT_GUARD_CHECK_GROUNDEDNESS ? UNSUPPORTED : v.category.toUpperCase();
  if (confident.length === 0 || !confident.every(located)) return [{ kind, start: 0, end: length }];
  // PII masks say what was there (<EMAIL_ADDRESS>); the other categories' evidence kinds are the
  // scorers' internals (rule ids, `window`), which a user reading the masked text should not see.
  return v.category === 'pii' ? confident : confident.map((e) => ({ ...e, kind }));
}

const SEVERITY: Record<GuardDecision, number> = { allowed: 0, flagged: 1, redacted: 2, blocked: 3 };
const DECISION_OF: Record<Exclude<GuardAction, 'off'>, GuardDecision> = {
  flag: 'flagged',
  redact: 'redacted',
  block: 'blocked',
};

interface Check {
  /** The text checked, to find on the span the PII the guard masked in it. */
  text: string;
  result: GuardResult;
  errors: string[];
  groundedness?: { verdict: GroundednessVerdict; version: string; decision: GuardDecision };
}

const UNSUPPORTED = 'UNSUPPORTED';

/**
 * Every place each unsupported claim sits in the answer, so `redact` masks a
 * repeated sentence everywhere. A claim the scorer rewrote (a bare "Yes."
 * is scored as the question it answers) has no place: its evidence has no
 * offsets, i.e. it is about the whole answer.
 */
function claimEvidence(text: string, claims: readonly { claim: string; risk: number }[]): Evidence[] {
  const evidence: Evidence[] = [];
  for (const c of claims) {
    let found = false;
    let from = 0;
    while (c.claim.length > 0) {
      const start = text.indexOf(c.claim, from);
      if (start < 0) break;
      found = true;
      evidence.push({ kind: UNSUPPORTED, start, end: start + c.claim.length, weight: c.risk });
      from = start + c.claim.length;
    }
    if (!found) evidence.push({ kind: UNSUPPORTED, weight: c.risk });
  }
  return evidence;
}

function checkGroundedness(
  text: string,
  grounding: OutputGrounding,
  rule: GuardRule,
  violations: GuardViolation[],
): { verdict: GroundednessVerdict; version: string; decision: GuardDecision } {
  const s = loadScorers();
  const raw = grounding.context;
  const context = typeof raw === 'string' || 'postings' in raw ? raw : [...(raw as readonly string[])];
  const g = s.groundedness(text, context, grounding.question ? { question: grounding.question } : {});
  const verdict: GroundednessVerdict = {
    score: g.score,
    label: g.label,
    refusal: g.refusal,
    unsupported: g.unsupported.map((u) => ({ claim: u.claim, reasons: [...u.reasons], missing: u.missing })),
  };
  const risk = 1 - g.score;
  const threshold = rule.threshold ?? 1 - s.GROUNDEDNESS_THRESHOLD;
  const violated = rule.threshold === undefined ? g.label === 'hallucinated' : risk >= threshold;
  if (!violated || rule.action === 'off')
    return { verdict, version: s.GROUNDEDNESS_VERSION, decision: 'allowed' };
  violations.push({
    category: 'groundedness',
    action: rule.action,
    score: risk,
    threshold,
    evidence: claimEvidence(text, g.unsupported),
    explanation: unsupportedText(verdict),
  });
  return { verdict, version: s.GROUNDEDNESS_VERSION, decision: DECISION_OF[rule.action] };
}

function unsupportedText(verdict: GroundednessVerdict): string {
  return verdict.unsupported
    .map(
      (u) =>
        `"${u.claim}" [${u.reasons.join(', ')}${u.missing.length ? `; missing: ${u.missing.join(', ')}` : ''}]`,
    )
    .join('\n')
    .slice(0, 2_000);
}

function evaluate(
  text: string,
  policy: GuardPolicy,
  scorers: Partial<Record<GuardCategory, TextScorer>>,
  maskPii: PiiMasker | undefined,
  grounding?: OutputGrounding,
): Check {
  const violations: GuardViolation[] = [];
  const skipped: GuardCheck[] = [];
  const errors: string[] = [];
  let decision: GuardDecision = 'allowed';
  for (const category of GUARD_CATEGORIES) {
    const rule = policy[category];
    if (!rule || rule.action === 'off') continue;
    const scorer = scorers[category];
    if (!scorer) {
      skipped.push(category);
      continue;
    }
    try {
      const score = scorer.score(text);
      const threshold = rule.threshold ?? scorer.threshold;
      if (!(score.score >= threshold)) continue;
      violations.push({
        category,
        action: rule.action,
        score: score.score,
        threshold,
        evidence: score.evidence,
        explanation: score.explanation,
      });
      const d = DECISION_OF[rule.action];
      if (SEVERITY[d] > SEVERITY[decision]) decision = d;
    } catch (err) {
      skipped.push(category);
      errors.push(err instanceof Error ? err.constructor.name || 'Error' : '_OTHER');
    }
  }
  let grounded: Check['groundedness'];
  const groundingRule = policy.groundedness;
  if (grounding && groundingRule && groundingRule.action !== 'off') {
    try {
      grounded = checkGroundedness(text, grounding, groundingRule, violations);
      if (SEVERITY[grounded.decision] > SEVERITY[decision]) decision = grounded.decision;
    } catch (err) {
      skipped.push('groundedness');
      errors.push(err instanceof Error ? err.constructor.name || 'Error' : '_OTHER');
    }
  }
  let redacted = text;
  const toRedact = violations.filter((v) => v.action === 'redact');
  if (toRedact.length > 0) {
    const pii = toRedact.find((v) => v.category === 'pii');
    const others = toRedact.filter((v) => v.category !== 'pii');
    const ranges = (): Evidence[] => toRedact.flatMap((v) => redactRanges(v, text.length));
    try {
      const piiEvidence = pii && others.length === 0 ? confidentEvidence(pii) : [];
      if (maskPii && piiEvidence.length > 0 && piiEvidence.every(located))
        redacted = maskPii(text, piiEvidence);
      else redacted = maskEvidence(text, ranges());
    } catch (error) {
      // The PII masker failed on this text: mask the evidence spans instead, never pass it raw.
      reportInternal('masking PII', error);
      redacted = maskEvidence(text, ranges());
    }
  }
  const result: GuardResult = { allowed: decision !== 'blocked', decision, violations, redacted, skipped };
  if (grounded) result.groundedness = grounded.verdict;
  return { text, result, errors, ...(grounded ? { groundedness: grounded } : {}) };
}

// ---------------------------------------------------------------------------
// What the span says about the text checked. The guard's spans are the SDK's
// own scope, which ContentPolicySpanProcessor leaves alone, so the content
// policy is applied here: capture off → kinds, reason codes and counts only;
// capture on → quotes as the policy would export a prompt.

/** A quote as it may be exported; undefined when the policy failed on it. */
type Quote = (quoted: string) => string | undefined;

/** Undefined when content capture is off: nothing the user or the model wrote goes on the span. */
function quoterFor(text: string, violations: readonly GuardViolation[]): Quote | undefined {
  const policy = activeContentPolicy();
  if (!policy) return undefined;
  const found: { value: string; mask: string }[] = [];
  for (const v of violations) {
    if (v.category !== 'pii') continue;
    for (const e of v.evidence) {
      if (!located(e)) continue;
      const value = text.slice(e.start, e.end);
      if (value.trim()) found.push({ value, mask: `<${e.kind}>` });
    }
  }
  // Longest first: a finding inside a longer one would otherwise split it and leave its rest in clear.
  found.sort((a, b) => b.value.length - a.value.length);
  return (quoted) => {
    let out = quoted;
    // PII the guard itself found (and masked in `redacted`) stays masked even when the policy does not mask PII.
    for (const f of found) out = out.replaceAll(f.value, f.mask);
    const captured = capturePolicyValue(out, policy);
    return typeof captured?.value === 'string' ? captured.value : undefined;
  };
}

/** `PERSON ×2, rule:you_are_insult ×1`: a scorer's explanation may quote the matched text, its evidence kinds do not. */
function evidenceSummary(v: GuardViolation): string {
  const counts = new Map<string, number>();
  for (const e of confidentEvidence(v)) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${kind} ×${n}`).join(', ');
}

/** The unsupported claims quoted through `quote`; without it, their count and reason codes. */
function unsupportedForSpan(verdict: GroundednessVerdict, quote: Quote | undefined): string {
  const claims = verdict.unsupported;
  if (claims.length === 0) return '';
  if (!quote) {
    const reasons = [...new Set(claims.flatMap((u) => u.reasons))];
    const n = `${claims.length} unsupported claim${claims.length === 1 ? '' : 's'}`;
    return reasons.length > 0 ? `${n} [${reasons.join(', ')}]` : n;
  }
  return claims
    .map((u) => {
      const reasons = u.reasons.join(', ');
      const claim = quote(u.claim);
      if (claim === undefined) return `[${reasons}]`;
      // Missing terms are words of the answer: only those the quote itself still shows.
      const shown = claim.toLowerCase();
      const missing = u.missing.filter((m) => shown.includes(m.toLowerCase()));
      return `"${claim}" [${reasons}${missing.length ? `; missing: ${missing.join(', ')}` : ''}]`;
    })
    .join('\n')
    .slice(0, 2_000);
}

function reasonOf(
  violations: readonly GuardViolation[],
  quote: Quote | undefined,
  unsupported: string,
): string {
  return violations
    .map((v) => {
      const detail =
        v.category === C.OVERSIGHT_GUARD_CHECK_GROUNDEDNESS
          ? unsupported
          : ((quote && v.explanation ? quote(v.explanation) : undefined) ?? evidenceSummary(v));
      return `${v.category} ${v.score.toFixed(2)}>=${v.threshold} ${v.action}${detail ? `: ${detail}` : ''}`;
    })
    .join('; ')
    .slice(0, 1_000);
}

function record(
  component: string,
  stage: GuardStage,
  policyId: string,
  policyVersion: string,
  check: Check,
): void {
  const { result, errors } = check;
  const quote =
    result.violations.length > 0 || check.groundedness ? quoterFor(check.text, result.violations) : undefined;
  const unsupported = check.groundedness ? unsupportedForSpan(check.groundedness.verdict, quote) : '';
  const attributes: Attributes = {
    [ATTR.operationName]: C.GEN_AI_OPERATION.applyGuardrail,
    [ATTR.componentName]: component,
    [ATTR.policyId]: policyId,
    [ATTR.policyVersion]: policyVersion,
    [ATTR.source]: stage,
    // The conventions' type names what kind of value follows; ours is the action taken.
    [ATTR.resultType]: 'action',
    [ATTR.resultValue]: result.decision,
  };
  if (result.violations.length > 0) {
    attributes[ATTR.resultReason] = reasonOf(result.violations, quote, unsupported);
    attributes[ATTR.violations] = JSON.stringify(
      result.violations.map((v) => ({
        category: v.category,
        action: v.action,
        score: v.score,
        threshold: v.threshold,
        // Kinds and offsets only: the matched text may be the very PII being redacted.
        evidence: v.evidence.map((e) => ({ kind: e.kind, start: e.start, end: e.end })),
      })),
    );
  }
  if (result.skipped.length > 0) attributes[ATTR.skipped] = result.skipped;
  const span = trace
    .getTracer('@oversight/sdk')
    .startSpan(`apply_guardrail ${component}`, { kind: SpanKind.INTERNAL, attributes });
  for (const v of result.violations) {
    span.addEvent(C.EVENT_GEN_AI_GUARDRAIL_RESULT, {
      // The risk of an unsupported answer is a hallucination; `groundedness` names the score below.
      [ATTR.riskCategory]:
        v.category === C.OVERSIGHT_GUARD_CHECK_GROUNDEDNESS
          ? C.GEN_AI_GUARDRAIL_RISK_HALLUCINATION
          : v.category,
      [ATTR.riskScore]: v.score,
      [ATTR.resultType]: 'action',
      [ATTR.resultValue]: DECISION_OF[v.action],
    });
  }
  const g = check.groundedness;
  if (g) {
    // Stored by the collector as an `evaluations` row, shaped like its own groundedness rows.
    span.addEvent(C.EVENT_GEN_AI_EVALUATION_RESULT, {
      [ATTR.evaluationName]: 'groundedness',
      [ATTR.evaluationScore]: g.verdict.score,
      [ATTR.evaluationLabel]: g.verdict.label,
      [ATTR.evaluationExplanation]: g.verdict.refusal ? 'refusal' : unsupported,
      [ATTR.evaluationVersion]: g.version,
    });
  }
  if (errors.length > 0) {
    span.setAttribute(ATTR.errorType, errors[0] as string);
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'scorer failed; category skipped' });
  }
  span.end();
}

/**
 * The text to check in a value: a string, its `text` or `content`, or a
 * completion as the provider's client returns it, so `guard.call(question,
 * (q) => openai.chat.completions.create(...))` checks, and hands back, the
 * answer rather than "[object Object]". What it cannot read is said once and
 * checked as empty.
 */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') {
    const found = completionText(value as Record<string, unknown>);
    if (found !== undefined) return found;
    if (Symbol.asyncIterator in value) {
      warnOnce(
        'stream-result',
        'guard.call() got a stream: its output cannot be checked before it is read, so it was not; collect the text and check it with guard.output()',
      );
      return '';
    }
  }
  try {
    const text = String(value);
    if (!text.startsWith('[object ')) return text;
    warnOnce(
      'unreadable-result',
      'guard.call() found no text in the result (not a string, nor text, content or a provider completion); pass outputText to read it',
    );
    return '';
  } catch (error) {
    // A null-prototype object or a throwing toString(): nothing to read, and the guard never throws.
    reportInternal('reading text to guard', error);
    return '';
  }
}

/** `text`/`content`, an OpenAI chat or legacy completion, a Responses result, an Anthropic message. */
function completionText(rec: Record<string, unknown>): string | undefined {
  if (typeof rec.text === 'string') return rec.text;
  if (typeof rec.content === 'string') return rec.content;
  if (typeof rec.output_text === 'string') return rec.output_text;
  // Anthropic: text blocks among tool_use and thinking ones; none is an empty answer.
  if (Array.isArray(rec.content))
    return rec.content
      .filter((b): b is { text: string } => b?.type === 'text' && typeof b.text === 'string')
      .map((b) => b.text)
      .join('');
  if (Array.isArray(rec.choices)) {
    const first = rec.choices[0] as { message?: { content?: unknown }; text?: unknown } | undefined;
    if (first?.message) return typeof first.message.content === 'string' ? first.message.content : '';
    if (typeof first?.text === 'string') return first.text;
  }
  return undefined;
}

const ALLOW_ALL: GuardResult = {
  allowed: true,
  decision: 'allowed',
  violations: [],
  redacted: '',
  skipped: [],
};

/** Every option createGuard() reads: TypeScript keeps the list whole. */
const GUARD_OPTION_KEYS: Record<keyof GuardOptions, true> = {
  input: true,
  output: true,
  scorers: true,
  maskPii: true,
  policyId: true,
  policyVersion: true,
  name: true,
  record: true,
  warm: true,
};

/** A misspelt option (`ouput`) would leave that stage on its defaults without a word in a JavaScript app. */
function warnUnknownOptions(options: GuardOptions): void {
  const known = Object.keys(GUARD_OPTION_KEYS);
  const unknown = Object.keys(options).filter((key) => !Object.hasOwn(GUARD_OPTION_KEYS, key));
  if (unknown.length === 0) return;
  const list = unknown.map((key) => didYouMean(key, known)).join(', ');
  warnOnce(`options:${list}`, `createGuard() ignores unknown options: ${list}`);
}

export function createGuard(options: GuardOptions = {}): Guard {
  warnUnknownOptions(options);
  const inputPolicy = parsePolicy('input', options.input, DEFAULT_INPUT_POLICY);
  const outputPolicy = parsePolicy('output', options.output, DEFAULT_OUTPUT_POLICY);
  const component = options.name ?? 'oversight';
  const policyId = options.policyId ?? 'oversight-default';
  const policyVersion =
    options.policyVersion ?? contentId(JSON.stringify({ input: inputPolicy, output: outputPolicy })).slice(4);
  const recordSpans = options.record ?? true;
  if (options.scorers) warnUnscored(options.scorers, inputPolicy, outputPolicy);

  const resolve = (): Defaults => {
    if (options.scorers) return { scorers: options.scorers, maskPii: options.maskPii };
    const d = defaultGuardScorers();
    return { scorers: d.scorers, maskPii: options.maskPii ?? d.maskPii };
  };

  const check = (stage: GuardStage, raw: unknown, grounding?: OutputGrounding): GuardResult => {
    const text = typeof raw === 'string' ? raw : textOf(raw);
    try {
      const { scorers, maskPii } = resolve();
      const policy = stage === 'input' ? inputPolicy : outputPolicy;
      const outcome = evaluate(text, policy, scorers, maskPii, stage === 'output' ? grounding : undefined);
      if (recordSpans) {
        try {
          record(component, stage, policyId, policyVersion, outcome);
        } catch (error) {
          // The decision stands without its span.
          reportInternal('recording a guard span', error);
        }
      }
      return outcome.result;
    } catch (error) {
      // A guard never throws into the app: every category reports itself skipped.
      reportInternal('running guard checks', error);
      return { ...ALLOW_ALL, redacted: text, skipped: [...GUARD_CATEGORIES] };
    }
  };

  let warming: Promise<void> | undefined;
  const warm = (): Promise<void> => {
    warming ??= options.scorers ? Promise.resolve() : warmUp(resolve);
    return warming;
  };
  if (options.warm !== false) void warm();

  const call = async <T>(
    input: string,
    fn: (safeInput: string) => T | Promise<T>,
    callOptions: CallOptions<T> = {},
  ): Promise<GuardedCall<T>> => {
    const blockedMessage = callOptions.blockedMessage ?? DEFAULT_BLOCKED_MESSAGE;
    const inputResult = check('input', input);
    if (!inputResult.allowed)
      return { text: blockedMessage, blocked: true, blockedAt: 'input', input: inputResult };
    // The app's own errors from fn propagate unchanged.
    const result = await fn(inputResult.redacted);
    let completion: string;
    try {
      completion = callOptions.outputText ? callOptions.outputText(result) : textOf(result);
    } catch (error) {
      // The app's outputText threw: check the result's own text rather than nothing.
      reportInternal('guard outputText', error);
      completion = textOf(result);
    }
    const outputResult = check('output', completion, callOptions.grounding);
    if (!outputResult.allowed) {
      return {
        text: blockedMessage,
        blocked: true,
        blockedAt: 'output',
        input: inputResult,
        output: outputResult,
        result,
      };
    }
    return { text: outputResult.redacted, blocked: false, input: inputResult, output: outputResult, result };
  };

  return {
    warm,
    input: (text) => check('input', text),
    output: (text, grounding) => check('output', text, grounding),
    prepareContext(documents) {
      const list = typeof documents === 'string' ? [documents] : documents;
      try {
        return loadScorers().indexContext(list);
      } catch (error) {
        reportInternal('indexing guard context', error);
        return list;
      }
    },
    call,
    wrap:
      <T>(fn: (safeInput: string) => T | Promise<T>, callOptions?: CallOptions<T>) =>
      async (input: string) =>
        (await call(input, fn, callOptions)).text,
    inputPolicy,
    outputPolicy,
  };
}

/** A guard with the default policies and the SDK's scorers. */
export const guard: Guard = createGuard({ warm: false });
