/**
 * Pairing: for each generation of an assembled trace, the question it answered
 * and the context it was given. Pure; works on canonical LlmSpans, so every
 * convention the collector reads pairs the same way.
 *
 * Context, first source that yields any:
 *   1. retrieval: documents of retrieval/rerank spans that precede the generation
 *      in its scope: an ancestor, or an earlier sibling of the generation or of
 *      any of its ancestors (or inside such a sibling, when that subtree has no
 *      generation of its own), the nearest scope winning. A rerank's output
 *      replaces the retrieval it reranked.
 *   2. inline: documents carried in the messages: a marked context block
 *      ("Context:", "Documents:", <context>…) in a system or user message, or a
 *      system prompt long enough to be documents rather than instructions.
 *   3. tool: results of tool calls fed to the model (tool-role messages), or of
 *      execute_tool spans preceding it in scope.
 * Tool-role messages in the generation's input join a retrieval or inline
 * context too: the model saw them beside the documents.
 * Question: the last user message (without an inline context block), else the
 * retrieval query; `earlier`, the user messages before it (the latest
 * first, EARLIER_MESSAGES at most), when the input carries the conversation.
 */
import type { LlmSpan } from '../../normalize/index.ts';

export type ContextSource = 'retrieval' | 'inline' | 'tool' | 'none';

export interface GenerationPair {
  /** The generation span. */
  spanId: string;
  question: string;
  /**
   * The user's messages before `question` in the same conversation, the
   * latest first, as the generation's input carries them: what a follow-up
   * ("What about France?") is about. Absent on a first turn, or when the
   * app sends the last message alone.
   */
  earlier?: string[];
  answer: string;
  context: string[];
  source: ContextSource;
  /** Spans the context came from (retrieval, rerank or tool spans). */
  contextSpanIds: string[];
  /**
   * Set when a later generation of the trace reads the same user turn (the
   * same question after the same messages): an agent's calls before its
   * answer, a tool call or a plan. A turn is one question to topics and gaps,
   * judged by the generation that answers it.
   */
  answeredLater?: true;
  /**
   * Set on a step of the app's own, with a prompt of its own, rather than an
   * answer to its user; groundedness, topics and gaps leave it out, and the
   * trace stage writes it to `llm_spans.app_step`, which tells recovery the
   * step was seen though it has no scores:
   * - `feeds`: the next generation asks its answer as its question, or a
   *   retrieval before that searches with it (a question rewritten for
   *   retrieval, a hypothetical answer searched with);
   * - `quotes`: its question quotes the question or the answer of another
   *   generation of the trace (a guard of the user's message or of the
   *   answer, a classifier, a title for the conversation).
   */
  appStep?: 'feeds' | 'quotes';
}

/** Minimal span shape for the parent chain: non-LLM spans (HTTP handlers, chains) link LLM spans. */
export interface SpanLink {
  spanId: string;
  parentSpanId: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
}

const GENERATION = new Set(['chat', 'text_completion', 'generate_content']);
const RETRIEVAL = new Set(['retrieval', 'rerank']);

export function isGeneration(span: LlmSpan): boolean {
  return GENERATION.has(span.operation);
}

/** The line a template's question starts on. */
const QUESTION_LINE = String.raw`\n\s*(?:question|query|user question)\s*:`;
/**
 * Where a prompt template puts its documents, as the common ones write it:
 * a tagged block (<context>…</context>); a labelled one ("Context:"), up to
 * a "Question:" label or the end; one between two rules of dashes or equals
 * signs, as LlamaIndex's question-answering template sets them off ("Context
 * information is below." then the rule); or, before a "Question:" label, the
 * paragraphs after a line that announces "the following context", as
 * LangChain's "stuff" template writes it. The alternatives are tried in
 * that order at each place, the earliest place winning.
 */
const CONTEXT_BLOCK = new RegExp(
  [
    String.raw`<(context|documents?|sources?)>([\s\S]*?)<\/\1>`,
    String.raw`(?:^|\n)\s*(?:context|documents?|sources?|retrieved (?:documents|passages)|knowledge)\s*:\s*\n?([\s\S]*?)(?=${QUESTION_LINE}|$)`,
    String.raw`(?:^|\n)[ \t]*(?:-{5,}|={5,})[ \t]*\n([\s\S]*?)\n[ \t]*(?:-{5,}|={5,})[ \t]*(?=\n|$)`,
    String.raw`(?:^|\n)[^\n]*\bthe following (?:pieces of )?(?:retrieved )?(?:context|documents?|information)\b[^\n]*\n\s*\n([\s\S]*?)(?=${QUESTION_LINE})`,
  ].join('|'),
  'i',
);
const QUESTION_LABEL = /(?:^|\n)\s*(?:question|query|user question)\s*:\s*([\s\S]*)$/i;
/** The cue a template ends on for the model to answer after ("Answer:", "Helpful Answer:"): no part of the question. */
const ANSWER_CUE = /\n[ \t]*(?:[a-z]+[ \t]+)?answer[ \t]*:[ \t]*$/i;
/** A system prompt this long without a marker is taken as documents, not instructions. */
const LONG_SYSTEM_WORDS = 120;

function splitInline(text: string): { context: string; rest: string } | undefined {
  const m = CONTEXT_BLOCK.exec(text);
  if (!m) return undefined;
  // A labelled block runs to the end when the question came first, and so takes the cue.
  const context = (m[2] ?? m[3] ?? m[4] ?? m[5] ?? '').replace(ANSWER_CUE, '').trim();
  if (context === '') return undefined;
  const rest = (text.slice(0, m.index) + text.slice(m.index + m[0].length)).trim();
  return { context, rest };
}

function documentsOf(text: string): string[] {
  // Numbered or blank-line separated documents stay apart, so claims align within one.
  const parts = text.split(/\n\s*\n|\n(?=\s*\[\d+\])/).map((p) => p.trim());
  return parts.filter((p) => p !== '');
}

function answerOf(span: LlmSpan): string {
  return span.outputMessages
    .filter((m) => m.role === 'assistant' || m.role === '')
    .map((m) => m.content)
    .filter((c) => c !== '')
    .join('\n');
}

/** Tree of every span seen in the trace, LLM or not. */
class Tree {
  readonly parent = new Map<string, string>();
  readonly children = new Map<string, string[]>();
  readonly start = new Map<string, bigint>();
  readonly end = new Map<string, bigint>();

  constructor(links: Iterable<SpanLink>) {
    for (const l of links) {
      this.parent.set(l.spanId, l.parentSpanId);
      this.start.set(l.spanId, l.startTimeUnixNano);
      this.end.set(l.spanId, l.endTimeUnixNano);
      if (l.parentSpanId !== '') {
        const list = this.children.get(l.parentSpanId) ?? [];
        list.push(l.spanId);
        this.children.set(l.parentSpanId, list);
      }
    }
  }

  roots(): string[] {
    return [...this.parent.entries()].filter(([, p]) => p === '' || !this.parent.has(p)).map(([id]) => id);
  }

  descendants(id: string, into: string[] = []): string[] {
    for (const c of this.children.get(id) ?? []) {
      into.push(c);
      this.descendants(c, into);
    }
    return into;
  }
}

export function pairGenerations(
  spans: readonly LlmSpan[],
  links: readonly SpanLink[] = [],
): GenerationPair[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const tree = new Tree([...links.filter((l) => !byId.has(l.spanId)), ...spans]);
  // A conversation repeats its messages in every call: each is read once per trace.
  const read = new Map<string, string>();
  const ask = (message: string) => {
    let question = read.get(message);
    if (question === undefined) {
      question = askedIn(message);
      read.set(message, question);
    }
    return question;
  };
  const asked = new Map<string, { question: string; users: number }>();
  for (const s of spans)
    if (isGeneration(s)) asked.set(s.spanId, { question: ask(lastUserOf(s)), users: userCountOf(s) });
  const out: GenerationPair[] = [];
  for (const gen of spans) {
    if (!isGeneration(gen)) continue;
    out.push(pairOne(gen, byId, tree, asked, ask));
  }
  markAnsweredLater(out, byId);
  const texts = new Map(out.map((p) => [p, { question: clipped(p.question), answer: clipped(p.answer) }]));
  markFeeds(out, spans, texts);
  markQuotes(out, texts);
  return out;
}

/** Words a text needs before another span quoting it is evidence, not chance. */
const QUOTED_WORDS = 4;
/**
 * Characters of a question or an answer compared for quotes: a prompt
 * quotes the user near its start, and a trace of long messages must not
 * cost its length times its generations.
 */
const QUOTE_CHARS = 4_000;

type Texts = Map<GenerationPair, { question: string; answer: string }>;

const clipped = (text: string) =>
  text
    .slice(0, 2 * QUOTE_CHARS)
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, QUOTE_CHARS);

/**
 * Marks the generations (of a prompt of their own) whose answer the next
 * generation asks as its question, or a retrieval between the two searches
 * with (`appStep` `feeds`). Only the next one is read.
 */
function markFeeds(pairs: GenerationPair[], spans: readonly LlmSpan[], texts: Texts): void {
  const byStart = [...spans].sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
  const bySpan = new Map(pairs.map((p) => [p.spanId, p]));
  const questionOf = (spanId: string) => {
    const p = bySpan.get(spanId);
    return p ? texts.get(p)?.question : undefined;
  };
  byStart.forEach((span, i) => {
    const pair = bySpan.get(span.spanId);
    if (!pair || pair.answeredLater) return;
    const answer = texts.get(pair)?.answer ?? '';
    if (answer.split(' ').length < QUOTED_WORDS) return;
    for (let j = i + 1; j < byStart.length; j++) {
      const later = byStart[j] as LlmSpan;
      if (later.startTimeUnixNano < span.endTimeUnixNano) continue;
      // A search with it, or the next call asking it as its question, makes a step of
      // it. Not quoted anywhere in a prompt: an answer the user saw comes back as the
      // assistant's turn of a conversation, and an output guard quotes the answer it checks.
      if (isGeneration(later)) {
        if (questionOf(later.spanId) === answer) pair.appStep = 'feeds';
        return;
      }
      if (RETRIEVAL.has(later.operation) && clipped(later.retrievalQuery).includes(answer)) {
        pair.appStep = 'feeds';
        return;
      }
    }
  });
}

/**
 * Words at most in the answer of a call that quotes another: a verdict, a
 * label, a title. An app that packs the conversation into its prompt without
 * a label quotes the earlier turns too, and answers its user at length.
 */
const VERDICT_WORDS = 12;

/**
 * Marks the generations whose question quotes, whole and longer, the
 * question or the answer of another generation of the trace, and which
 * answer in a few words (`appStep` `quotes`): the user's message, or the
 * answer it got, put into a prompt of the app's.
 */
function markQuotes(pairs: GenerationPair[], texts: Texts): void {
  const of = (p: GenerationPair) => texts.get(p) ?? { question: '', answer: '' };
  // What a step fed on is meant to be quoted: the call that asks a rewritten question is no step.
  const quotable = pairs.map((p) =>
    p.appStep === 'feeds'
      ? []
      : [of(p).question, of(p).answer].filter((t) => t.split(' ').length >= QUOTED_WORDS),
  );
  pairs.forEach((p, i) => {
    if (p.appStep !== undefined || of(p).answer.split(' ').length > VERDICT_WORDS) return;
    const question = of(p).question;
    const quotes = (t: string) => t.length < question.length && question.includes(t);
    if (quotable.some((own, j) => j !== i && own.some(quotes))) p.appStep = 'quotes';
  });
}

/** The user turn a generation reads, within its trace: its question after the same earlier messages. */
export function turnOf(pair: GenerationPair): string {
  return [pair.question, ...(pair.earlier ?? [])].join('\u0000');
}

/** Marks every generation of a user turn but the one that starts last (`answeredLater`). */
function markAnsweredLater(pairs: GenerationPair[], byId: Map<string, LlmSpan>): void {
  const last = new Map<string, GenerationPair>();
  const startOf = (p: GenerationPair) => byId.get(p.spanId)?.startTimeUnixNano ?? 0n;
  for (const p of pairs) {
    if (p.question === '') continue;
    const turn = turnOf(p);
    const seen = last.get(turn);
    if (!seen) {
      last.set(turn, p);
      continue;
    }
    const [earlier, later] = startOf(p) >= startOf(seen) ? [seen, p] : [p, seen];
    earlier.answeredLater = true;
    last.set(turn, later);
  }
}

/**
 * How far a step's end may pass the start of the call it fed. The OpenTelemetry
 * JS SDK starts a span at Date.now() (whole milliseconds) and ends it a
 * performance.now() duration later, so a search awaited just before the model
 * call often ends, on the spans, up to a millisecond after the call began (in
 * 178 of 200 traces a test app made).
 */
const CLOCK_SLACK_NS = 1_000_000n;

function precedes(tree: Tree, id: string, gen: LlmSpan, at: bigint): boolean {
  const start = tree.start.get(id) ?? 0n;
  return start <= at && id !== gen.spanId;
}

/**
 * Retrieval (or tool) spans in the nearest scope around `gen` that has any.
 * `earlierTurn` tells the generations that answered an earlier turn of
 * `gen`'s conversation: what was searched before one of them in the scope
 * was that turn's, when a chat app keeps its turns side by side in one trace.
 */
function scoped(
  gen: LlmSpan,
  byId: Map<string, LlmSpan>,
  tree: Tree,
  want: (s: LlmSpan) => boolean,
  earlierTurn: (s: LlmSpan) => boolean,
): LlmSpan[] {
  let node = gen.spanId;
  const seen = new Set<string>();
  const generationOf = (id: string) => {
    const s = byId.get(id);
    return s !== undefined && isGeneration(s) ? s : undefined;
  };
  while (!seen.has(node)) {
    seen.add(node);
    const parent = tree.parent.get(node) ?? '';
    // When `gen` started, as the spans of this scope tell time: the call may run in another
    // service (an LLM gateway) on a clock of its own, a little behind the app's, which started
    // `node`, the branch `gen` is in, after its steps before it had returned.
    const nodeStart = tree.start.get(node) ?? 0n;
    const at = nodeStart > gen.startTimeUnixNano ? nodeStart : gen.startTimeUnixNano;
    // A step that fed `gen` had returned before it started: a search run beside it (a parallel
    // branch of the app's) returned what another call read. Within the SDKs' clock slack.
    const returnedBefore = (s: LlmSpan) => s.endTimeUnixNano <= at + CLOCK_SLACK_NS;
    const found: LlmSpan[] = [];
    const self = byId.get(parent);
    if (self && want(self) && precedes(tree, parent, gen, at)) found.push(self);
    const siblings = parent === '' ? tree.roots() : (tree.children.get(parent) ?? []);
    // Where the latest earlier turn in this scope began: what was searched before it fed it.
    let turnBegan: bigint | undefined;
    const turnAt = (g: LlmSpan | undefined) => {
      if (g && g !== gen && earlierTurn(g) && !(turnBegan !== undefined && turnBegan >= g.startTimeUnixNano))
        turnBegan = g.startTimeUnixNano;
    };
    for (const sib of siblings) {
      if (sib === node || !precedes(tree, sib, gen, at)) continue;
      const s = byId.get(sib);
      turnAt(generationOf(sib));
      if (s && want(s)) {
        if (returnedBefore(s)) found.push(s);
        continue;
      }
      // Inside an earlier sibling (a retriever chain wrapping the search), but not a subtree
      // with a generation of its own: that one's retrievals fed that generation.
      const inside = tree.descendants(sib);
      const generations = inside.map(generationOf).filter((g) => g !== undefined);
      if (generations.length > 0) {
        for (const g of generations) if (g.startTimeUnixNano <= at) turnAt(g);
        continue;
      }
      // A subtree that had returned fed it whole: its search may run in another service, on a
      // clock of its own that puts its end a little after the call's start.
      const subtreeReturned = (tree.end.get(sib) ?? gen.endTimeUnixNano) <= at + CLOCK_SLACK_NS;
      for (const id of inside) {
        const d = byId.get(id);
        if (d && want(d) && (subtreeReturned || returnedBefore(d))) found.push(d);
      }
    }
    const ours = found.filter(
      (s) => s === self || turnBegan === undefined || s.startTimeUnixNano >= turnBegan,
    );
    if (ours.length > 0) return ours.sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
    if (parent === '' || !tree.parent.has(parent)) break;
    node = parent;
  }
  return [];
}

function retrievalContext(found: readonly LlmSpan[]): { docs: string[]; ids: string[] } {
  // A rerank's output supersedes the retrievals before it; a search after it (another
  // question's, or a second hop's) was not reranked and stands beside it.
  const lastRerank = found.findLastIndex(
    (s) => s.operation === 'rerank' && s.documents.some((d) => d.content),
  );
  const used = lastRerank >= 0 ? found.slice(lastRerank) : found;
  const docs: string[] = [];
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const s of used) {
    const before = docs.length;
    for (const d of s.documents) {
      if (d.content === '' || seen.has(d.content)) continue;
      seen.add(d.content);
      docs.push(d.content);
    }
    if (docs.length > before) ids.push(s.spanId);
  }
  return { docs, ids };
}

/**
 * Earlier user messages kept for a follow-up: the one it follows, and a few
 * more for a follow-up of a follow-up ("is that free?", then "and on weekends?").
 */
const EARLIER_MESSAGES = 4;

/** What a user message asks: without an inline context block, after a "Question:" label. */
function askedIn(message: string): string {
  const inline = splitInline(message);
  const question = inline ? inline.rest : message;
  const labelled = QUESTION_LABEL.exec(question);
  return (labelled ? (labelled[1] ?? '') : question).replace(ANSWER_CUE, '').trim();
}

const lastUserOf = (span: LlmSpan) => span.inputMessages.findLast((m) => m.role === 'user')?.content ?? '';
const userCountOf = (span: LlmSpan) => span.inputMessages.filter((m) => m.role === 'user').length;

/**
 * `asked`: what each generation of the trace asks (`askedIn` its last user
 * message) and after how many user messages, so the generations of an
 * earlier turn of `gen`'s conversation, whose question is among its earlier
 * messages (and, for the same question asked again, which read fewer of
 * them: the agent's steps of the new turn are not earlier ones), are told
 * apart. `ask`:
 * `askedIn`, read once per message of the trace.
 */
function pairOne(
  gen: LlmSpan,
  byId: Map<string, LlmSpan>,
  tree: Tree,
  asked: ReadonlyMap<string, { question: string; users: number }>,
  ask: (message: string) => string,
): GenerationPair {
  const users = gen.inputMessages.filter((m) => m.role === 'user');
  const lastUser = users[users.length - 1]?.content ?? '';
  const before = new Set(users.slice(0, -1).map((m) => ask(m.content)));
  before.delete('');
  const question = ask(lastUser);
  const earlierTurn = (g: LlmSpan) => {
    const of = asked.get(g.spanId);
    if (of === undefined || !before.has(of.question)) return false;
    // Asked again: only a call that read fewer messages answered it before.
    return of.question !== question || of.users < users.length;
  };
  const earlier = users
    .slice(Math.max(0, users.length - 1 - EARLIER_MESSAGES), -1)
    .map((m) => ask(m.content))
    .filter((m) => m.trim() !== '')
    .reverse();
  const pair: GenerationPair = {
    spanId: gen.spanId,
    question,
    ...(earlier.length > 0 && { earlier }),
    answer: answerOf(gen),
    context: [],
    source: 'none',
    contextSpanIds: [],
  };

  const retrievals = scoped(gen, byId, tree, (s) => RETRIEVAL.has(s.operation), earlierTurn);
  const fromRetrieval = retrievalContext(retrievals);
  if (fromRetrieval.docs.length > 0) {
    pair.context = fromRetrieval.docs;
    pair.source = 'retrieval';
    pair.contextSpanIds = fromRetrieval.ids;
  } else {
    const inline: string[] = [];
    const system = [
      gen.systemInstructions,
      ...gen.inputMessages.filter((m) => m.role === 'system').map((m) => m.content),
    ];
    for (const text of system) {
      if (text === '') continue;
      const split = splitInline(text);
      if (split) inline.push(...documentsOf(split.context));
      else if (text.split(/\s+/).length >= LONG_SYSTEM_WORDS) inline.push(...documentsOf(text));
    }
    for (const m of users) {
      const split = splitInline(m.content);
      if (split) inline.push(...documentsOf(split.context));
    }
    if (inline.length > 0) {
      pair.context = inline;
      pair.source = 'inline';
    } else {
      const toolMessages = gen.inputMessages
        .filter((m) => m.role === 'tool' && m.content !== '')
        .map((m) => m.content);
      const toolSpans = scoped(
        gen,
        byId,
        tree,
        (s) => s.operation === 'execute_tool' && s.toolResult !== '',
        earlierTurn,
      );
      if (toolMessages.length > 0 || toolSpans.length > 0) {
        pair.context = toolMessages.length > 0 ? toolMessages : toolSpans.map((s) => s.toolResult);
        pair.source = 'tool';
        pair.contextSpanIds = toolMessages.length > 0 ? [] : toolSpans.map((s) => s.spanId);
      }
    }
  }
  // Tool results in the generation's own messages were put in front of the model too: an answer
  // that reports a tool's output after a retrieval is supported by it, not a hallucination.
  if (pair.source === 'retrieval' || pair.source === 'inline') {
    const seen = new Set(pair.context);
    for (const m of gen.inputMessages) {
      if (m.role !== 'tool' || m.content === '' || seen.has(m.content)) continue;
      seen.add(m.content);
      pair.context.push(m.content);
    }
  }
  if (pair.question === '')
    pair.question = retrievals.find((s) => s.retrievalQuery !== '')?.retrievalQuery ?? '';
  return pair;
}
