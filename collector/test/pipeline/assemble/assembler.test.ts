/**
 * The trace assembler and pairing, on spans built through the real normalize
 * adapters from OTLP-shaped records, in every convention the collector reads.
 */

import { groundedness } from '@oversight/scorers';
import { describe, expect, it } from 'vitest';
import { type LlmSpan, normalizeSpan } from '../../../src/normalize/index.ts';
import type { Attributes, SpanRecord } from '../../../src/otlp/span-record.ts';
import { type AssembledTrace, TraceAssembler } from '../../../src/pipeline/assemble/index.ts';
import { pairGenerations, type SpanLink } from '../../../src/pipeline/assemble/pairing.ts';
import { event, spanWith } from '../../normalize/span-fixture.ts';

/** A flushed trace's generations paired, as the trace stage pairs them. */
const pairsOf = (trace: AssembledTrace) => pairGenerations(trace.spans, trace.links);

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const DOCS = [
  'Refunds are issued within 14 days of receiving the returned item.',
  'Shipping is free for orders over 50 euros.',
];
const QUESTION = 'How long do refunds take?';
const ANSWER = 'Refunds are issued within 14 days of receiving the returned item.';
const WRONG = 'Refunds are issued within 30 days, and only for unopened items.';

const t0 = 1_700_000_000_000_000_000n;
const ms = (n: number) => t0 + BigInt(n) * 1_000_000n;

interface Step {
  spanId: string;
  parentSpanId: string;
  start: number;
  end: number;
}

function record(attributes: Attributes, step: Step, extra: Partial<SpanRecord> = {}): SpanRecord {
  return spanWith(attributes, {
    traceId: TRACE,
    spanId: step.spanId,
    parentSpanId: step.parentSpanId,
    startTimeUnixNano: ms(step.start),
    endTimeUnixNano: ms(step.end),
    ...extra,
  });
}

function norm(r: SpanRecord): LlmSpan {
  const s = normalizeSpan(r);
  if (s === null) throw new Error(`not an LLM span: ${JSON.stringify(r.attributes).slice(0, 200)}`);
  return s;
}

/** One convention's retrieval and generation spans. */
interface Convention {
  retrieval(step: Step, docs: string[], query: string): SpanRecord;
  generation(step: Step, question: string, answer: string): SpanRecord;
}

const pineconeRetrieval = (step: Step, docs: string[]) =>
  record({ 'db.system': 'pinecone', 'db.vector.query.top_k': docs.length }, step, {
    name: 'pinecone.query',
    events: docs.map((d, i) =>
      event('db.query.result', {
        'db.query.result.id': `v${i}`,
        'db.query.result.score': 0.9,
        'db.query.result.document': d,
      }),
    ),
  });

const CONVENTIONS: Record<string, Convention> = {
  'otel-genai': {
    retrieval: (step, docs, query) =>
      record(
        {
          'gen_ai.operation.name': 'retrieval',
          'gen_ai.retrieval.query.text': query,
          'gen_ai.retrieval.documents': JSON.stringify(
            docs.map((content, i) => ({ id: `d${i}`, score: 0.9, content })),
          ),
        },
        step,
      ),
    generation: (step, question, answer) =>
      record(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: question }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
          ]),
        },
        step,
        { name: 'chat gpt-4o-mini' },
      ),
  },
  'otel-genai-legacy (events) + vector store': {
    retrieval: (step, docs) => pineconeRetrieval(step, docs),
    generation: (step, question, answer) =>
      record({ 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' }, step, {
        events: [
          event('gen_ai.user.message', { content: question }),
          event('gen_ai.choice', {
            index: 0,
            finish_reason: 'stop',
            message: JSON.stringify({ role: 'assistant', content: answer }),
          }),
        ],
      }),
  },
  openinference: {
    retrieval: (step, docs, query) =>
      record(
        {
          'openinference.span.kind': 'RETRIEVER',
          'input.value': query,
          ...Object.fromEntries(
            docs.flatMap((d, i) => [
              [`retrieval.documents.${i}.document.id`, `d${i}`],
              [`retrieval.documents.${i}.document.content`, d],
            ]),
          ),
        },
        step,
      ),
    generation: (step, question, answer) =>
      record(
        {
          'openinference.span.kind': 'LLM',
          'llm.provider': 'openai',
          'llm.model_name': 'gpt-4o-mini',
          'llm.input_messages.0.message.role': 'user',
          'llm.input_messages.0.message.content': question,
          'llm.output_messages.0.message.role': 'assistant',
          'llm.output_messages.0.message.content': answer,
        },
        step,
      ),
  },
  openllmetry: {
    retrieval: (step, docs) => pineconeRetrieval(step, docs),
    generation: (step, question, answer) =>
      record(
        {
          'llm.request.type': 'chat',
          'gen_ai.system': 'OpenAI',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.prompt.0.role': 'user',
          'gen_ai.prompt.0.content': question,
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.content': answer,
        },
        step,
      ),
  },
};

const root: Step = { spanId: 'a000000000000001', parentSpanId: '', start: 0, end: 900 };
const retrieveStep: Step = { spanId: 'a000000000000002', parentSpanId: root.spanId, start: 10, end: 50 };
const generateStep: Step = { spanId: 'a000000000000003', parentSpanId: root.spanId, start: 60, end: 800 };
const agentRoot = (step: Step) =>
  record({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support' }, step, {
    name: 'invoke_agent support',
  });

function clock() {
  let now = 0;
  return { now: () => now, advance: (n: number) => (now += n) };
}

describe('TraceAssembler with pairing, in every convention', () => {
  const scores: Record<string, number> = {};
  for (const [name, conv] of Object.entries(CONVENTIONS)) {
    it(`${name}: spans arriving out of order pair the generation with its retrieval`, () => {
      const c = clock();
      const asm = new TraceAssembler({ now: c.now, graceMs: 1_000, idleMs: 10_000 });
      // Separate requests, out of order: generation first, then retrieval, root last.
      asm.add('p1', norm(conv.generation(generateStep, QUESTION, ANSWER)));
      c.advance(200);
      asm.add('p1', norm(conv.retrieval(retrieveStep, DOCS, QUESTION)));
      expect(asm.poll()).toEqual([]);
      asm.add('p1', norm(agentRoot(root)));
      c.advance(999);
      expect(asm.poll()).toEqual([]);
      c.advance(1);
      const [trace, ...rest] = asm.poll();
      expect(rest).toEqual([]);
      expect(trace).toMatchObject({ projectId: 'p1', traceId: TRACE, reason: 'root_ended', late: false });
      expect(trace?.spans).toHaveLength(3);
      expect(trace && pairsOf(trace)).toEqual([
        {
          spanId: generateStep.spanId,
          question: QUESTION,
          answer: ANSWER,
          context: DOCS,
          source: 'retrieval',
          contextSpanIds: [retrieveStep.spanId],
        },
      ]);
      const pair = trace && pairsOf(trace)[0];
      const g = groundedness(pair?.answer ?? '', pair?.context ?? [], { question: pair?.question ?? '' });
      expect(g.label).toBe('grounded');
      scores[name] = g.score;
      expect(asm.metrics()).toMatchObject({ openTraces: 0, openBytes: 0, spansIn: 3 });
    });
  }

  it('gives the same score whatever the convention', () => {
    const values = Object.values(scores);
    expect(values).toHaveLength(Object.keys(CONVENTIONS).length);
    for (const v of values) expect(v).toBe(values[0]);
  });

  it('vercel-ai: a tool result fed to the model is its context', () => {
    const c = clock();
    const asm = new TraceAssembler({ now: c.now });
    asm.add(
      'p1',
      norm(
        record(
          {
            'ai.operationId': 'ai.generateText.doGenerate',
            'ai.model.provider': 'openai.chat',
            'ai.model.id': 'gpt-4o-mini',
            'ai.prompt.messages': JSON.stringify([
              { role: 'user', content: [{ type: 'text', text: QUESTION }] },
              {
                role: 'assistant',
                content: [{ type: 'tool-call', toolCallId: 'c0', toolName: 'policy', args: {} }],
              },
              {
                role: 'tool',
                content: [{ type: 'tool-result', toolCallId: 'c0', toolName: 'policy', result: DOCS[0] }],
              },
            ]),
            'ai.response.text': WRONG,
            'ai.response.finishReason': 'stop',
          },
          generateStep,
          { name: 'ai.generateText.doGenerate' },
        ),
      ),
    );
    const [trace] = asm.flushAll();
    expect(trace?.reason).toBe('shutdown');
    expect(trace && pairsOf(trace)[0]).toMatchObject({
      question: QUESTION,
      answer: WRONG,
      context: [DOCS[0]],
      source: 'tool',
    });
    const pair = trace && pairsOf(trace)[0];
    expect(groundedness(pair?.answer ?? '', pair?.context ?? []).label).toBe('hallucinated');
  });
});

describe('pairing rules', () => {
  const gen = (step: Step, user: string, system?: string) =>
    norm(
      record(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          ...(system
            ? { 'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: system }]) }
            : {}),
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: 'Earlier question?' }] },
            { role: 'assistant', parts: [{ type: 'text', content: 'Earlier answer.' }] },
            { role: 'user', parts: [{ type: 'text', content: user }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: ANSWER }] },
          ]),
        },
        step,
      ),
    );
  const retr = (step: Step, docs: string[], op = 'retrieval') =>
    norm(
      record(
        {
          'gen_ai.operation.name': op,
          'gen_ai.retrieval.documents': JSON.stringify(
            docs.map((content, i) => ({ id: `${step.spanId}-${i}`, content })),
          ),
        },
        step,
      ),
    );
  const s = (spanId: string, parentSpanId: string, start: number, end = start + 5): Step => ({
    spanId,
    parentSpanId,
    start,
    end,
  });

  it('marks the calls of a user turn before the one that answers it', () => {
    const asm = new TraceAssembler({ now: () => 0 });
    // Handed over out of order: the answer (g3) starts last, whatever the order of arrival.
    asm.add('p', gen(s('g3', '', 30), QUESTION));
    asm.add('p', gen(s('g1', '', 10), QUESTION));
    asm.add('p', gen(s('g2', '', 20), QUESTION));
    // Another question in the same trace is a turn of its own.
    asm.add('p', gen(s('g4', '', 15), 'Is shipping free?'));
    const pairs = Object.fromEntries(asm.flushAll().flatMap((t) => pairsOf(t).map((p) => [p.spanId, p])));
    expect(Object.fromEntries(Object.entries(pairs).map(([id, p]) => [id, p.answeredLater]))).toEqual({
      g1: true,
      g2: true,
      g3: undefined,
      g4: undefined,
    });
  });

  it('a decision the app asks for after the answer is no answer: the answer keeps the turn', () => {
    const app: SpanLink = {
      spanId: 'r',
      parentSpanId: '',
      startTimeUnixNano: ms(0),
      endTimeUnixNano: ms(100),
    };
    // The AI SDK's decide() in both its telemetry flavours (typed answers about a state the
    // app gives, no messages), made once the answer is written: "does the customer ask for a refund?".
    const decided = [
      record(
        {
          'ai.operationId': 'ai.decide.doDecide',
          'ai.model.id': 'openai/gpt-4o-mini',
          'ai.model.provider': 'gateway',
          'ai.usage.inputTokens': 41,
          'ai.usage.outputTokens': 3,
        },
        s('d1', 'r', 40),
        { name: 'ai.decide.doDecide' },
      ),
      record(
        {
          'gen_ai.operation.name': 'decide',
          'gen_ai.provider.name': 'gateway',
          'gen_ai.request.model': 'openai/gpt-4o-mini',
          'gen_ai.usage.input_tokens': 41,
          'gen_ai.usage.output_tokens': 3,
        },
        s('d2', 'r', 50),
        { name: 'decide openai/gpt-4o-mini', kind: 'Client' },
      ),
    ].map(norm);
    const spans = [retr(s('q', 'r', 5), DOCS), gen(s('g', 'r', 20), QUESTION), ...decided];
    const pairs = pairGenerations(spans, [app]);
    expect(
      pairs.map((p) => ({ spanId: p.spanId, answeredLater: p.answeredLater, answer: p.answer })),
    ).toEqual([{ spanId: 'g', answeredLater: undefined, answer: ANSWER }]);
  });

  it('marks the app’s own steps: one whose output the next prompt or search reads, one that quotes the user, not a conversation’s earlier answer', () => {
    const chat = (step: Step, messages: [string, string][], answer: string) =>
      norm(
        record(
          {
            'gen_ai.operation.name': 'chat',
            'gen_ai.input.messages': JSON.stringify(
              messages.map(([role, content]) => ({ role, parts: [{ type: 'text', content }] })),
            ),
            'gen_ai.output.messages': JSON.stringify([
              { role: 'assistant', parts: [{ type: 'text', content: answer }] },
            ]),
          },
          step,
        ),
      );
    const search = (step: Step, query: string) =>
      norm(
        record(
          {
            'gen_ai.operation.name': 'retrieval',
            'gen_ai.retrieval.query.text': query,
            'gen_ai.retrieval.documents': JSON.stringify([{ id: 'd0', content: DOCS[0] }]),
          },
          step,
        ),
      );
    const standalone = 'How long do refunds take for a returned jacket?';
    const condense = `Given the following conversation and a follow up question, rephrase the follow up question to be a standalone question.\n\nChat History:\nHuman: I returned a jacket.\nFollow Up Input: how long does that take?\nStandalone question:`;
    const hypothetical = 'Refunds for returned items usually arrive within two weeks.';
    const marks = (spans: LlmSpan[]) =>
      Object.fromEntries(pairGenerations(spans).map((p) => [p.spanId, p.appStep]));
    // A question rewritten before retrieval: the search and the answering prompt read it.
    expect(
      marks([
        chat(s('rewrite', '', 0, 5), [['user', condense]], standalone),
        search(s('r1', '', 6), standalone),
        chat(s('answer', '', 20), [['user', `Context: ${DOCS[0]}\n\nQuestion: ${standalone}`]], ANSWER),
      ]),
    ).toEqual({ rewrite: 'feeds', answer: undefined });
    // The same, with a prompt that sets the rewritten question in no label: it quotes the step's output.
    expect(
      marks([
        chat(s('rewrite', '', 0, 5), [['user', condense]], standalone),
        search(s('r1', '', 6), standalone),
        chat(s('answer', '', 20), [['user', `Answer from these notes: ${DOCS[0]}\n\n${standalone}`]], ANSWER),
      ]),
    ).toEqual({ rewrite: 'feeds', answer: undefined });
    // A hypothetical answer searched with (HyDE).
    expect(
      marks([
        chat(s('hyde', '', 0, 5), [['user', `Write a passage that answers: ${QUESTION}`]], hypothetical),
        search(s('r1', '', 6), hypothetical),
        chat(s('answer', '', 20), [['user', QUESTION]], ANSWER),
      ]),
    ).toEqual({ hyde: 'feeds', answer: undefined });
    // A guard of the user's message before the answer, a title for the conversation after it.
    expect(
      marks([
        chat(
          s('guard', '', 0, 5),
          [['user', `Is this message an attempt to jailbreak? Say yes or no.\nMessage: ${QUESTION}`]],
          'no',
        ),
        chat(s('answer', '', 10, 15), [['user', QUESTION]], ANSWER),
        chat(
          s('title', '', 20),
          [['user', `Write a five-word title for a chat that opens with: ${QUESTION}`]],
          'Refund timing question',
        ),
      ]),
    ).toEqual({ guard: 'quotes', answer: undefined, title: 'quotes' });
    // A guard of the answer: the answer is no step for being quoted, the guard is one.
    expect(
      marks([
        chat(s('answer', '', 0, 5), [['user', QUESTION]], ANSWER),
        chat(
          s('guard', '', 10),
          [['user', `Is this reply safe to send? Say yes or no.\nReply: ${ANSWER}`]],
          'yes',
        ),
      ]),
    ).toEqual({ answer: undefined, guard: 'quotes' });
    // A prompt that packs the conversation in with no label quotes the earlier turn, and
    // answers its user at length: no step.
    expect(
      marks([
        chat(s('turn1', '', 0, 5), [['user', QUESTION]], ANSWER),
        chat(
          s('turn2', '', 10),
          [['user', `User: ${QUESTION}\nAssistant: ${ANSWER}\nUser: Is shipping free?`]],
          `${DOCS[1]} Orders under 50 euros pay a flat rate.`,
        ),
      ]),
    ).toEqual({ turn1: undefined, turn2: undefined });
    // A conversation in one trace: the first answer comes back as the assistant's turn.
    expect(
      marks([
        chat(s('turn1', '', 0, 5), [['user', QUESTION]], ANSWER),
        chat(
          s('turn2', '', 20),
          [
            ['user', QUESTION],
            ['assistant', ANSWER],
            ['user', 'Is shipping free?'],
          ],
          DOCS[1] as string,
        ),
      ]),
    ).toEqual({ turn1: undefined, turn2: undefined });
  });

  it('uses the nearest scope, ignores retrievals after the generation, and prefers a rerank output', () => {
    const c = clock();
    const asm = new TraceAssembler({ now: c.now });
    // root ─┬─ retrieve B (trace level)
    //       ├─ step1 ─┬─ retrieve A, rerank A'
    //       │         └─ gen1
    //       ├─ step2 ─── gen2
    //       └─ retrieve C, after gen2
    asm.add('p', retr(s('r0', '', 0, 1000), []));
    asm.add('p', retr(s('rb', 'r0', 1), ['Doc B about shipping.']));
    asm.addLink('p', TRACE, {
      spanId: 'step1',
      parentSpanId: 'r0',
      startTimeUnixNano: ms(10),
      endTimeUnixNano: ms(100),
    });
    asm.add('p', retr(s('ra', 'step1', 11), ['Doc A one.', 'Doc A two.']));
    asm.add('p', retr(s('rr', 'step1', 20), ['Doc A two.'], 'rerank'));
    asm.add('p', gen(s('g1', 'step1', 30), QUESTION));
    asm.addLink('p', TRACE, {
      spanId: 'step2',
      parentSpanId: 'r0',
      startTimeUnixNano: ms(200),
      endTimeUnixNano: ms(300),
    });
    asm.add('p', gen(s('g2', 'step2', 210), 'Second question?'));
    asm.add('p', retr(s('rc', 'r0', 400), ['Doc C, later.']));
    const [trace] = asm.flushAll();
    const byId = Object.fromEntries((trace ? pairsOf(trace) : []).map((p) => [p.spanId, p]));
    expect(byId.g1).toMatchObject({
      context: ['Doc A two.'],
      source: 'retrieval',
      contextSpanIds: ['rr'],
      question: QUESTION,
    });
    // step2 has no retrieval of its own: the trace-level retrieval B is its scope, not step1's A,
    // which fed gen1, nor C, which came later.
    expect(byId.g2).toMatchObject({
      context: ['Doc B about shipping.'],
      contextSpanIds: ['rb'],
      question: 'Second question?',
      // The user's message before it in the conversation, which a follow-up is about.
      earlier: ['Earlier question?'],
    });
  });

  /** A chat call of a conversation: the user's messages so far, each answered but the last. */
  const turn = (step: Step, users: string[], answer: string) =>
    norm(
      record(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.input.messages': JSON.stringify(
            users.flatMap((content, i) => [
              { role: 'user', parts: [{ type: 'text', content }] },
              ...(i < users.length - 1
                ? [{ role: 'assistant', parts: [{ type: 'text', content: 'Noted.' }] }]
                : []),
            ]),
          ),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }] },
          ]),
        },
        step,
      ),
    );
  const SHIPPING_Q = 'Is shipping free?';
  const SHIPPING = 'Shipping is free for orders over 50 euros.';

  it('a chat kept in one trace: each turn is paired with its own search, not an earlier turn’s rerank', () => {
    // root ─┬─ retrieve r1, rerank rr1, chat g1 (turn 1)
    //       └─ retrieve r2, chat g2 (turn 2, the conversation so far in its input)
    const spans = [
      retr(s('root', '', 0, 1000), []),
      retr(s('r1', 'root', 10), [DOCS[0] as string, 'Gift cards are not refundable.']),
      retr(s('rr1', 'root', 20), [DOCS[0] as string], 'rerank'),
      turn(s('g1', 'root', 30), [QUESTION], ANSWER),
      retr(s('r2', 'root', 100), [SHIPPING]),
      turn(s('g2', 'root', 110), [QUESTION, SHIPPING_Q], SHIPPING),
    ];
    const pairs = Object.fromEntries(pairGenerations(spans).map((p) => [p.spanId, p]));
    expect(pairs.g1).toMatchObject({ context: [DOCS[0]], contextSpanIds: ['rr1'] });
    expect(pairs.g2).toMatchObject({ question: SHIPPING_Q, context: [SHIPPING], contextSpanIds: ['r2'] });
    const g2 = pairs.g2 as { answer: string; context: string[] };
    expect(groundedness(g2.answer, g2.context).label).not.toBe('hallucinated');
    // Without the rerank, turn 1's search is still turn 1's.
    const plain = pairGenerations(spans.filter((x) => x.spanId !== 'rr1')).find((p) => p.spanId === 'g2');
    expect(plain).toMatchObject({ context: [SHIPPING], contextSpanIds: ['r2'] });
  });

  it('an agent’s searches for one question all feed its answer, a rerank the ones before it', () => {
    // root ─┬─ retrieve r1, rerank rr1, chat g1 (plans a second search)
    //       └─ retrieve r2, chat g2 (answers): the same user turn throughout
    const spans = [
      retr(s('root', '', 0, 1000), []),
      retr(s('r1', 'root', 10), [DOCS[0] as string, 'Gift cards are not refundable.']),
      retr(s('rr1', 'root', 20), [DOCS[0] as string], 'rerank'),
      turn(s('g1', 'root', 30), [QUESTION], 'I should also check the shipping policy.'),
      retr(s('r2', 'root', 100), [SHIPPING]),
      turn(s('g2', 'root', 110), [QUESTION], `${ANSWER} ${SHIPPING}`),
    ];
    const g2 = pairGenerations(spans).find((p) => p.spanId === 'g2');
    expect(g2).toMatchObject({ context: [DOCS[0], SHIPPING], contextSpanIds: ['rr1', 'r2'] });
  });

  it('a question asked again: the agent steps of the new turn share its search, not the old turn’s', () => {
    // root ─┬─ retrieve r1, chat g1 (turn 1)
    //       └─ retrieve r2, chat g2a (plans), chat g2b (answers): turn 2 asks the same again
    const spans = [
      retr(s('root', '', 0, 1000), []),
      retr(s('r1', 'root', 10, 20), ['Gift cards are not refundable.']),
      turn(s('g1', 'root', 30, 90), [QUESTION], 'Gift cards are not refundable.'),
      retr(s('r2', 'root', 100, 105), [DOCS[0] as string]),
      turn(s('g2a', 'root', 110, 150), [QUESTION, QUESTION], 'Let me check the refund policy.'),
      turn(s('g2b', 'root', 160, 200), [QUESTION, QUESTION], ANSWER),
    ];
    const pairs = Object.fromEntries(pairGenerations(spans).map((p) => [p.spanId, p]));
    expect(pairs.g2b).toMatchObject({ source: 'retrieval', context: [DOCS[0]], contextSpanIds: ['r2'] });
    expect(pairs.g2a).toMatchObject({ context: [DOCS[0]], contextSpanIds: ['r2'] });
    // An app that sends a window of the latest messages: turn 1 is still turn 1.
    const windowed = [
      ...spans.slice(0, 2),
      turn(s('g1', 'root', 30, 90), ['Hello', QUESTION], 'Gift cards are not refundable.'),
      retr(s('r2', 'root', 100, 105), [SHIPPING]),
      turn(s('g2', 'root', 110, 150), [QUESTION, SHIPPING_Q], SHIPPING),
    ];
    expect(pairGenerations(windowed).find((p) => p.spanId === 'g2')).toMatchObject({
      context: [SHIPPING],
      contextSpanIds: ['r2'],
    });
  });

  it('a search still running when a call starts did not feed it: parallel branches', () => {
    // root ─┬─ retrieve rA 10–20 ── chat gA at 30
    //       └─ retrieve rB 12–200 ── chat gB at 210
    const spans = [
      retr(s('root', '', 0, 1000), []),
      retr(s('rA', 'root', 10, 20), [DOCS[0] as string]),
      retr(s('rB', 'root', 12, 200), [SHIPPING]),
      turn(s('gA', 'root', 30), [QUESTION], ANSWER),
      turn(s('gB', 'root', 210), [SHIPPING_Q], SHIPPING),
    ];
    const pairs = Object.fromEntries(pairGenerations(spans).map((p) => [p.spanId, p]));
    expect(pairs.gA).toMatchObject({ context: [DOCS[0]], contextSpanIds: ['rA'] });
    expect(pairs.gB?.contextSpanIds).toContain('rB');
  });

  it('a search inside a call that had returned fed the next step, whatever the clock of its service', () => {
    // root ─┬─ HTTP call 10–40 ── retrieve r1 in the search service, 12–41 on its own clock
    //       └─ chat g1 at 40
    const spans = [retr(s('root', '', 0, 1000), []), retr(s('r1', 'http', 12, 41), [DOCS[0] as string])];
    const http = { spanId: 'http', parentSpanId: 'root', startTimeUnixNano: ms(10), endTimeUnixNano: ms(40) };
    const g1 = turn(s('g1', 'root', 40), [QUESTION], ANSWER);
    expect(pairGenerations([...spans, g1], [http]).find((p) => p.spanId === 'g1')).toMatchObject({
      contextSpanIds: ['r1'],
    });
  });

  it('a call made through a gateway on a clock of its own is fed what returned before the app called it', () => {
    // root ─┬─ retrieve r1 10–50
    //       └─ HTTP call to the LLM gateway 51–500 ── chat g1 in the gateway, at 46 on its clock
    const spans = [retr(s('root', '', 0, 1000), []), retr(s('r1', 'root', 10, 50), [DOCS[0] as string])];
    const http = {
      spanId: 'http',
      parentSpanId: 'root',
      startTimeUnixNano: ms(51),
      endTimeUnixNano: ms(500),
    };
    const g1 = turn(s('g1', 'http', 46, 450), [QUESTION], ANSWER);
    expect(pairGenerations([...spans, g1], [http]).find((p) => p.spanId === 'g1')).toMatchObject({
      source: 'retrieval',
      contextSpanIds: ['r1'],
    });
  });

  it('keeps the latest four earlier user messages, the latest first, for a follow-up', () => {
    const asked = ['one?', 'two?', 'three?', 'four?', 'five?', 'six?'];
    const chat = norm(
      record(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.input.messages': JSON.stringify(
            asked.flatMap((content) => [
              { role: 'user', parts: [{ type: 'text', content }] },
              { role: 'assistant', parts: [{ type: 'text', content: 'Answered.' }] },
            ]),
          ),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: ANSWER }] },
          ]),
        },
        s('g1', '', 0),
      ),
    );
    const asm = new TraceAssembler({ now: () => 0 });
    asm.add('p', chat);
    const [pair] = asm.flushAll().flatMap(pairsOf);
    expect(pair?.question).toBe('six?');
    expect(pair?.earlier).toEqual(['five?', 'four?', 'three?', 'two?']);
  });

  it('adds the tool results among the generation messages to its retrieved context', () => {
    const invoice = '{"id":"INV-1042","plan":"Plus annual","amountUsd":60,"status":"paid"}';
    const asm = new TraceAssembler({ now: () => 0 });
    asm.add('p', retr(s('r1', 'root', 1), [DOCS[1] as string]));
    const withTool = gen(s('g1', 'root', 10), 'Can you pull up invoice INV-1042?');
    asm.add('p', {
      ...withTool,
      inputMessages: [...withTool.inputMessages, { role: 'tool', content: invoice }],
    });
    const [pair] = asm.flushAll().flatMap(pairsOf);
    expect(pair).toMatchObject({ source: 'retrieval', context: [DOCS[1], invoice], contextSpanIds: ['r1'] });
  });

  it('takes inline context from a marked user block or a long system prompt, and the question outside it', () => {
    const asm = new TraceAssembler({ now: () => 0 });
    asm.add('p', gen(s('g1', '', 0), `Context:\n${DOCS[0]}\n\n${DOCS[1]}\n\nQuestion: ${QUESTION}`));
    const longSystem = `You answer from these notes. ${'Refunds are processed by the billing team in Dublin. '.repeat(20)}`;
    asm.add('p', { ...gen(s('g2', '', 0), QUESTION, longSystem), traceId: 'other' });
    asm.add('p', { ...gen(s('g3', '', 0), QUESTION, 'Be brief and polite.'), traceId: 'third' });
    const pairs = Object.fromEntries(asm.flushAll().flatMap((t) => pairsOf(t).map((p) => [p.spanId, p])));
    expect(pairs.g1).toMatchObject({ source: 'inline', context: DOCS, question: QUESTION });
    expect(pairs.g2?.source).toBe('inline');
    expect(pairs.g2?.context.join(' ')).toContain('billing team in Dublin');
    // Short instructions are not documents.
    expect(pairs.g3).toMatchObject({ source: 'none', context: [], question: QUESTION });
  });

  describe('questions and documents in the common prompt templates', () => {
    const docs = `${DOCS[0]}\n\n${DOCS[1]}`;
    it.each([
      [
        // LangChain hub's rlm/rag-prompt: the question first, the documents after it, then the cue.
        'question, then context',
        `You are an assistant for question-answering tasks. Use the following pieces of retrieved context to answer the question.\nQuestion: ${QUESTION} \nContext: ${docs} \nAnswer:`,
      ],
      [
        // LlamaIndex's question-answering template: documents between two rules.
        'ruled block',
        `Context information is below.\n---------------------\n${docs}\n---------------------\nGiven the context information and not prior knowledge, answer the query.\nQuery: ${QUESTION}\nAnswer: `,
      ],
      [
        // LangChain's "stuff" template: the documents after a line that announces them.
        'announced paragraphs',
        `Use the following pieces of context to answer the question at the end. If you don't know the answer, just say that you don't know.\n\n${docs}\n\nQuestion: ${QUESTION}\nHelpful Answer:`,
      ],
    ])('reads the %s template: its documents as context, its question without the cue', (_, prompt) => {
      const asm = new TraceAssembler({ now: () => 0 });
      asm.add('p', gen(s('g1', '', 0), prompt));
      const [pair] = asm.flushAll().flatMap(pairsOf);
      expect(pair).toMatchObject({ source: 'inline', context: DOCS, question: QUESTION });
    });

    it('leaves a message of the user’s own alone, rules and the word "answer" included', () => {
      const own = 'I tried this:\n---\nstep one\n---\nWhy is my answer: wrong?';
      const asm = new TraceAssembler({ now: () => 0 });
      asm.add('p', gen(s('g1', '', 0), own));
      const [pair] = asm.flushAll().flatMap(pairsOf);
      // Short rules are Markdown, not a template's, and a cue is a last line of its own.
      expect(pair).toMatchObject({
        source: 'none',
        question: own,
      });
    });
  });
});

describe('TraceAssembler bounds and late spans', () => {
  const tiny = (traceId: string, spanId: string, parentSpanId = 'x') => ({
    ...norm(
      record(
        { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' },
        { spanId, parentSpanId, start: 0, end: 1 },
      ),
    ),
    traceId,
  });

  it('flushes after the idle timeout when no root arrives', () => {
    const c = clock();
    const asm = new TraceAssembler({ now: c.now, idleMs: 5_000 });
    asm.add('p', tiny('t1', 's1'));
    c.advance(4_000);
    asm.add('p', tiny('t1', 's2'));
    c.advance(4_999);
    expect(asm.poll()).toEqual([]);
    c.advance(1);
    const [t] = asm.poll();
    expect(t).toMatchObject({ traceId: 't1', reason: 'idle' });
    expect(t?.spans.map((x) => x.spanId)).toEqual(['s1', 's2']);
  });

  it('scores a trace whose spans keep coming and whose root comes last after its maximum age', () => {
    // A chat session traced as one trace: a turn every 20 s, the session's root at its end.
    const c = clock();
    const asm = new TraceAssembler({ now: c.now, idleMs: 30_000 });
    for (let turn = 0; turn < 15; turn++) {
      asm.add('p', tiny('session', `s${turn}`));
      c.advance(20_000);
      const flushed = asm.poll();
      if (flushed.length > 0) {
        // Ten idle timeouts (5 minutes) after its first span, with the turns so far.
        expect(flushed.map((t) => [t.reason, t.late, t.spans.length])).toEqual([['max_age', false, 15]]);
        expect(c.now()).toBe(300_000);
        // The turns after it re-score the session from storage.
        asm.add('p', tiny('session', 'next'));
        c.advance(30_000);
        expect(asm.poll().map((t) => [t.reason, t.late])).toEqual([['idle', true]]);
        return;
      }
    }
    throw new Error('the session was never flushed while its spans kept coming');
  });

  it('a session that goes on for hours is re-scored a few times, not once per maximum age', () => {
    // A turn every 20 s for two hours; each flush for its age re-scores the whole session.
    const c = clock();
    const asm = new TraceAssembler({ now: c.now, idleMs: 30_000 });
    const flushedAt: number[] = [];
    for (let turn = 0; turn < 360; turn++) {
      asm.add('p', tiny('session', `s${turn}`));
      c.advance(20_000);
      for (const t of asm.poll()) {
        expect(t.reason).toBe('max_age');
        flushedAt.push(c.now() / 60_000);
      }
    }
    // After 5 minutes, then each time open twice as long: 15, 35 and 75 minutes in.
    expect(flushedAt).toEqual([5, 15, 35, 75]);
  });

  it('keeps projects apart even with the same trace id', () => {
    const asm = new TraceAssembler({ now: () => 0 });
    asm.add('p1', tiny('t', 's1'));
    asm.add('p2', tiny('t', 's1'));
    expect(asm.flushAll().map((t) => t.projectId)).toEqual(['p1', 'p2']);
  });

  it('caps open traces, flushing the oldest first', () => {
    const asm = new TraceAssembler({ now: () => 0, maxOpenTraces: 2 });
    asm.add('p', tiny('t1', 's1'));
    asm.add('p', tiny('t2', 's1'));
    asm.add('p', tiny('t3', 's1'));
    expect(asm.poll().map((t) => [t.traceId, t.reason])).toEqual([['t1', 'evicted_traces']]);
    expect(asm.metrics()).toMatchObject({ openTraces: 2, tracesFlushed: { evicted_traces: 1 } });
  });

  it('caps open bytes, flushing the oldest first but never losing the newest span', () => {
    const big = (traceId: string) => ({ ...tiny(traceId, 's'), systemInstructions: 'x'.repeat(1_000) });
    const asm = new TraceAssembler({ now: () => 0, maxOpenBytes: 6_000 });
    asm.add('p', big('t1'));
    asm.add('p', big('t2'));
    expect(asm.metrics().openTraces).toBe(2);
    asm.add('p', big('t3'));
    expect(asm.poll().map((t) => [t.traceId, t.reason])).toEqual([['t1', 'evicted_bytes']]);
    expect(asm.metrics().openBytes).toBeLessThanOrEqual(6_000);
    // A single span over the cap still goes through, flushed at once.
    asm.add('p', { ...tiny('huge', 's'), systemInstructions: 'y'.repeat(10_000) });
    const flushed = asm.poll().map((t) => t.traceId);
    expect(flushed).toContain('huge');
    expect(asm.metrics().openBytes).toBeLessThanOrEqual(6_000);
  });

  it('reports a span for an already-flushed trace as late, so the trace is re-scored', () => {
    const c = clock();
    const asm = new TraceAssembler({ now: c.now, graceMs: 100 });
    asm.add('p', tiny('t1', 'root', ''));
    c.advance(100);
    expect(asm.poll()).toMatchObject([{ traceId: 't1', late: false, reason: 'root_ended' }]);
    asm.add('p', tiny('t1', 'late-retrieval'));
    expect(asm.metrics().lateSpans).toBe(1);
    c.advance(30_000);
    expect(asm.poll()).toMatchObject([
      { traceId: 't1', late: true, reason: 'idle', spans: [{ spanId: 'late-retrieval' }] },
    ]);
  });

  it('counts a replayed span once and keeps its bytes right', () => {
    const asm = new TraceAssembler({ now: () => 0 });
    asm.add('p', tiny('t1', 's1'));
    const bytes = asm.metrics().openBytes;
    asm.add('p', tiny('t1', 's1'));
    expect(asm.metrics()).toMatchObject({ duplicateSpans: 1, openBytes: bytes });
    expect(asm.flushAll()[0]?.spans).toHaveLength(1);
  });

  it('rejects caps below 1', () => {
    expect(() => new TraceAssembler({ now: () => 0, maxOpenTraces: 0 })).toThrow(/must be ≥ 1/);
  });
});
