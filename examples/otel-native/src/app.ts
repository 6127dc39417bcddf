/**
 * A small RAG app traced with nothing but the OpenTelemetry API and the GenAI
 * semantic conventions: a retrieval span listing the documents it found, and
 * a chat span with the messages, model and token usage. The model is called
 * with plain fetch on the OpenAI wire protocol. Oversight needs nothing more:
 * the collector reads these attributes and scores them like its own SDK's.
 */
import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('help-desk', '1.0.0');

const DOCUMENTS = [
  {
    id: 'returns',
    content: 'Items can be returned within 30 days with the receipt. Refunds take five business days.',
  },
  {
    id: 'shipping',
    content: 'Standard shipping takes three to five days. Express shipping arrives the next day.',
  },
];

export interface LlmEndpoint {
  baseUrl: string;
  apiKey: string;
  model: string;
}

interface ChatResponse {
  choices: { message: { content: string }; finish_reason: string }[];
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number };
}

const words = (text: string) => new Set(text.toLowerCase().match(/[a-z]{4,}/g) ?? []);

function retrieve(question: string) {
  return tracer.startActiveSpan('retrieval help-articles', { kind: SpanKind.CLIENT }, (span) => {
    const asked = words(question);
    const found = DOCUMENTS.map((d) => ({
      ...d,
      score: [...words(d.content)].filter((w) => asked.has(w)).length / Math.max(1, asked.size),
    }))
      .filter((d) => d.score > 0)
      .sort((a, b) => b.score - a.score);
    span.setAttributes({
      'gen_ai.operation.name': 'retrieval',
      'gen_ai.data_source.id': 'help-articles',
      'gen_ai.retrieval.query.text': question,
      'gen_ai.retrieval.documents': JSON.stringify(found),
    });
    span.end();
    return found;
  });
}

async function chat(llm: LlmEndpoint, system: string, question: string): Promise<string> {
  return tracer.startActiveSpan(`chat ${llm.model}`, { kind: SpanKind.CLIENT }, async (span: Span) => {
    span.setAttributes({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': llm.model,
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: system }]),
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: question }] },
      ]),
    });
    try {
      const response = await fetch(`${llm.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${llm.apiKey}` },
        body: JSON.stringify({
          model: llm.model,
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: question },
          ],
        }),
      });
      if (!response.ok) throw new Error(`LLM call failed: ${response.status} ${await response.text()}`);
      const body = (await response.json()) as ChatResponse;
      const choice = body.choices[0];
      const answer = choice?.message.content ?? '';
      span.setAttributes({
        'gen_ai.response.model': body.model,
        'gen_ai.usage.input_tokens': body.usage.prompt_tokens,
        'gen_ai.usage.output_tokens': body.usage.completion_tokens,
        'gen_ai.response.finish_reasons': [choice?.finish_reason ?? 'stop'],
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            parts: [{ type: 'text', content: answer }],
            finish_reason: choice?.finish_reason,
          },
        ]),
      });
      return answer;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      span.setAttribute('error.type', (error as Error).name);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** One question, answered from the retrieved articles, as one trace. */
export async function answer(llm: LlmEndpoint, question: string): Promise<string> {
  return tracer.startActiveSpan('help-desk answer', async (root) => {
    try {
      const docs = retrieve(question);
      const context = docs.length > 0 ? docs.map((d) => d.content).join('\n') : 'No article matches.';
      return await chat(llm, `Answer only from the context.\nContext: ${context}`, question);
    } finally {
      root.end();
    }
  });
}
