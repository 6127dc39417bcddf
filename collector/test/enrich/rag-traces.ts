/**
 * One RAG trace (a root step, a retrieval, then a generation answering from it)
 * as OTLP/JSON spans in each convention the collector reads, so tests can send
 * them as separate export requests in any order.
 */
import { randomBytes } from 'node:crypto';

export const QUESTION = 'How long do refunds take to reach the customer?';
export const DOCUMENTS = [
  'Refunds are issued to the original payment method. They take 5 business days to reach the customer.',
  'Shipping is free for orders over 50 euros. Express delivery costs 9 euros.',
];
/** Wrong number: the context says 5 business days. */
export const ANSWER = 'Refunds take 30 business days to reach the customer, and they go to a store credit.';

export type Convention = 'otel-genai' | 'otel-genai-legacy' | 'openinference' | 'openllmetry' | 'vercel-ai';
export const CONVENTIONS: Convention[] = [
  'otel-genai',
  'otel-genai-legacy',
  'openinference',
  'openllmetry',
  'vercel-ai',
];

type Value = string | number | boolean;
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: OtlpValue }[];
  events: {
    name: string;
    timeUnixNano: string;
    attributes: { key: string; value: OtlpValue }[];
  }[];
  status: { code: number };
}

type OtlpValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number };

function attrs(record: Record<string, Value>): { key: string; value: OtlpValue }[] {
  return Object.entries(record).map(([key, v]): { key: string; value: OtlpValue } => ({
    key,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  }));
}

export interface RagTrace {
  traceId: string;
  rootId: string;
  retrievalId: string;
  generationId: string;
  /** Export request bodies, one span each. */
  root: string;
  retrieval: string;
  generation: string;
}

const id = (bytes: number) => randomBytes(bytes).toString('hex');

function body(span: OtlpSpan, service = 'rag-app'): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: attrs({ 'service.name': service }) },
        scopeSpans: [{ scope: { name: 'rag-test', version: '1' }, spans: [span] }],
      },
    ],
  });
}

export function ragTrace(convention: Convention, answer = ANSWER): RagTrace {
  const traceId = id(16);
  const rootId = id(8);
  const retrievalId = id(8);
  const generationId = id(8);
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const at = (ms: number) => (t0 + BigInt(ms) * 1_000_000n).toString();
  const span = (
    spanId: string,
    parentSpanId: string,
    name: string,
    from: number,
    to: number,
    a: Record<string, Value>,
    events: OtlpSpan['events'] = [],
  ): OtlpSpan => ({
    traceId,
    spanId,
    parentSpanId,
    name,
    kind: parentSpanId === '' ? 2 : 3,
    startTimeUnixNano: at(from),
    endTimeUnixNano: at(to),
    attributes: attrs(a),
    events,
    status: { code: 1 },
  });
  const root = span(rootId, '', 'POST /ask', 0, 100, { 'http.request.method': 'POST' });
  let retrieval: OtlpSpan;
  let generation: OtlpSpan;
  switch (convention) {
    case 'otel-genai':
    case 'otel-genai-legacy': {
      const marker: Record<string, Value> =
        convention === 'otel-genai' ? { 'gen_ai.provider.name': 'openai' } : { 'gen_ai.system': 'openai' };
      retrieval = span(retrievalId, rootId, 'retrieval kb', 2, 10, {
        'gen_ai.operation.name': 'retrieval',
        'gen_ai.retrieval.query.text': QUESTION,
        'gen_ai.retrieval.documents': JSON.stringify(
          DOCUMENTS.map((content, i) => ({ id: `d${i}`, content, score: 0.9 - i / 10 })),
        ),
      });
      if (convention === 'otel-genai') {
        generation = span(generationId, rootId, 'chat gpt-4o-mini', 12, 90, {
          ...marker,
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: QUESTION }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
          ]),
        });
      } else {
        generation = span(
          generationId,
          rootId,
          'chat gpt-4o-mini',
          12,
          90,
          { ...marker, 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini' },
          [
            { name: 'gen_ai.user.message', timeUnixNano: at(12), attributes: attrs({ content: QUESTION }) },
            {
              name: 'gen_ai.choice',
              timeUnixNano: at(90),
              attributes: attrs({
                index: 0,
                finish_reason: 'stop',
                message: JSON.stringify({ role: 'assistant', content: answer }),
              }),
            },
          ],
        );
      }
      break;
    }
    case 'openinference': {
      const docs: Record<string, Value> = {};
      DOCUMENTS.forEach((content, i) => {
        docs[`retrieval.documents.${i}.document.id`] = `d${i}`;
        docs[`retrieval.documents.${i}.document.content`] = content;
        docs[`retrieval.documents.${i}.document.score`] = 0.9 - i / 10;
      });
      retrieval = span(retrievalId, rootId, 'retrieve', 2, 10, {
        'openinference.span.kind': 'RETRIEVER',
        'input.value': QUESTION,
        ...docs,
      });
      generation = span(generationId, rootId, 'ChatOpenAI', 12, 90, {
        'openinference.span.kind': 'LLM',
        'llm.provider': 'openai',
        'llm.model_name': 'gpt-4o-mini',
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.content': QUESTION,
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.content': answer,
      });
      break;
    }
    case 'openllmetry': {
      retrieval = span(
        retrievalId,
        rootId,
        'pinecone.query',
        2,
        10,
        { 'db.system': 'pinecone', 'db.vector.query.top_k': 2 },
        DOCUMENTS.map((content, i) => ({
          name: 'db.query.result',
          timeUnixNano: at(9),
          attributes: attrs({
            'db.query.result.id': `d${i}`,
            'db.query.result.score': 0.9 - i / 10,
            'db.query.result.document': content,
          }),
        })),
      );
      generation = span(generationId, rootId, 'openai.chat', 12, 90, {
        'llm.request.type': 'chat',
        'gen_ai.system': 'OpenAI',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': QUESTION,
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': answer,
      });
      break;
    }
    case 'vercel-ai': {
      // The AI SDK has no retrieval spans: apps put what they retrieved in the prompt.
      retrieval = span(retrievalId, rootId, 'search kb', 2, 10, { 'app.step': 'search' });
      generation = span(generationId, rootId, 'ai.generateText.doGenerate', 12, 90, {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.provider': 'openai.chat',
        'ai.model.id': 'gpt-4o-mini',
        'ai.prompt.messages': JSON.stringify([
          { role: 'system', content: `Answer from the context.\n\nContext:\n${DOCUMENTS.join('\n\n')}` },
          { role: 'user', content: [{ type: 'text', text: QUESTION }] },
        ]),
        'ai.response.text': answer,
        'ai.response.finishReason': 'stop',
      });
      break;
    }
  }
  return {
    traceId,
    rootId,
    retrievalId,
    generationId,
    root: body(root),
    retrieval: body(retrieval),
    generation: body(generation),
  };
}

export async function post(url: string, apiKey: string, json: string): Promise<void> {
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: json,
  });
  if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
}
