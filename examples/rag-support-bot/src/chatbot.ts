import {
  currentTraceId,
  type Guard,
  type GuardDecision,
  rerank,
  retrieve,
  tool,
  workflow,
} from '@oversight/sdk';
import type OpenAI from 'openai';
import { INVOICE_TOOL, lookupInvoice } from './invoices.ts';
import { EMBEDDING_DIMENSIONS, EMBEDDING_MODEL, type KnowledgeBase } from './knowledge-base.ts';
import { type RerankedDocument, rerankByOverlap } from './rerank.ts';

export type Outcome = 'answered' | 'unknown' | 'tool' | 'blocked';

export interface Turn {
  /** What was sent to the model (redacted); empty when the input guard blocked the turn. */
  asked: string;
  answer: string;
}

export interface TurnResult extends Turn {
  /** The question as the user typed it. */
  question: string;
  /** The trace this turn was recorded in; feedback links to it. */
  traceId: string | undefined;
  outcome: Outcome;
  /** Ids of the documents the answer was written from. */
  documents: string[];
  input: GuardDecision;
  output: GuardDecision | undefined;
}

export interface ChatbotOptions {
  openai: OpenAI;
  kb: KnowledgeBase;
  guard: Guard;
  model?: string;
  /** Candidates fetched by vector search. */
  topK?: number;
  /** Documents kept after rerank. */
  rerankTopK?: number;
  /** A document enters the prompt only when it covers this share of the question's words. */
  minRelevance?: number;
}

export const DATA_SOURCE_ID = 'lumen-help-centre';
export const BLOCKED_ANSWER = "Sorry, I can't help with that request.";
/**
 * The prompt's context when nothing relevant was found. The system prompt
 * tells the model to say it does not know; the mock LLM answers with the
 * context's first sentence, so this line is what it says, much as a real model
 * following the instruction would.
 */
export const NO_MATCH_CONTEXT =
  "I don't know the answer to that, sorry: the Lumen Notes help centre does not cover it yet.";

const SYSTEM_PROMPT =
  'You are the Lumen Notes help assistant. Answer only from the context below. ' +
  "If the context does not answer the question, say that you don't know. " +
  'Use the get_invoice tool for questions about a specific invoice.';

/**
 * One RAG turn as a production app would write it: input guard, embed the
 * question, vector search, rerank, a streamed chat completion with the
 * retrieved context (and a tool round trip when the model asks for one),
 * output guard. Every step is a span in one trace.
 */
export function createChatbot(options: ChatbotOptions) {
  const { openai, kb, guard } = options;
  const model = options.model ?? 'gpt-4o-mini';
  const topK = options.topK ?? 4;
  const rerankTopK = options.rerankTopK ?? 2;
  const minRelevance = options.minRelevance ?? 0.34;

  async function findContext(question: string): Promise<RerankedDocument[]> {
    const embedding = await openai.embeddings.create({
      model: EMBEDDING_MODEL,
      dimensions: EMBEDDING_DIMENSIONS,
      input: question,
    });
    const vector = embedding.data[0]?.embedding ?? [];
    const candidates = await retrieve(
      { query: question, dataSourceId: DATA_SOURCE_ID, topK, embedding: vector },
      async () => kb.search(vector, topK),
    );
    const ranked = await rerank(
      {
        query: question,
        documents: candidates,
        model: 'lexical-overlap',
        provider: 'local',
        topK: rerankTopK,
        dataSourceId: DATA_SOURCE_ID,
        // What the reranker scored, not the vector similarity the documents carry along.
        results: (docs) => docs.map((d) => ({ id: d.id, score: d.relevance, content: d.content })),
      },
      async () => rerankByOverlap(question, candidates, rerankTopK),
    );
    return ranked.filter((d) => d.relevance >= minRelevance);
  }

  async function complete(messages: OpenAI.ChatCompletionMessageParam[]): Promise<Completion> {
    const stream = await openai.chat.completions.create({
      model,
      stream: true,
      temperature: 0.2,
      messages,
      tools: [INVOICE_TOOL],
    });
    return collect(stream);
  }

  /** Answers one question; `history` is the session's earlier turns, oldest first. */
  async function ask(question: string, history: readonly Turn[] = []): Promise<TurnResult> {
    return workflow({ name: 'lumen-help-chat' }, async () => {
      const traceId = currentTraceId();
      const checked = guard.input(question);
      if (!checked.allowed) {
        return {
          question,
          asked: '',
          answer: BLOCKED_ANSWER,
          traceId,
          outcome: 'blocked' as const,
          documents: [],
          input: checked.decision,
          output: undefined,
        };
      }
      // From here on only the redacted question travels: no PII reaches the model or the index.
      const safeQuestion = checked.redacted;
      const context = await findContext(safeQuestion);
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        {
          role: 'system',
          content: `${SYSTEM_PROMPT}\n\nContext: ${context.length > 0 ? context.map((d) => d.content).join('\n') : NO_MATCH_CONTEXT}`,
        },
        ...history
          .filter((t) => t.asked !== '')
          .flatMap((t): OpenAI.ChatCompletionMessageParam[] => [
            { role: 'user', content: t.asked },
            { role: 'assistant', content: t.answer },
          ]),
        { role: 'user', content: safeQuestion },
      ];
      let reply = await complete(messages);
      let outcome: Outcome = context.length > 0 ? 'answered' : 'unknown';
      if (reply.toolCalls.length > 0) {
        outcome = 'tool';
        messages.push({ role: 'assistant', content: reply.text || null, tool_calls: reply.toolCalls });
        for (const call of reply.toolCalls) {
          const args = parseArguments(call.function.arguments);
          const result = await tool(
            {
              name: call.function.name,
              callId: call.id,
              arguments: args,
              description: INVOICE_TOOL.function.description,
            },
            async () => lookupInvoice(args),
          );
          messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
        }
        reply = await complete(messages);
      }
      const shown = guard.output(reply.text);
      return {
        question,
        asked: safeQuestion,
        answer: shown.redacted,
        traceId,
        outcome,
        documents: outcome === 'tool' ? [] : context.map((d) => d.id),
        input: checked.decision,
        output: shown.decision,
      };
    });
  }

  return { ask };
}

export type Chatbot = ReturnType<typeof createChatbot>;

interface Completion {
  text: string;
  toolCalls: OpenAI.ChatCompletionMessageFunctionToolCall[];
}

/** Joins a streamed completion: text deltas, and tool calls whose arguments arrive in pieces. */
async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<Completion> {
  let text = '';
  const calls: OpenAI.ChatCompletionMessageFunctionToolCall[] = [];
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta;
    if (!delta) continue;
    text += delta.content ?? '';
    for (const part of delta.tool_calls ?? []) {
      let call = calls[part.index];
      if (!call) {
        call = { id: '', type: 'function', function: { name: '', arguments: '' } };
        calls[part.index] = call;
      }
      if (part.id) call.id = part.id;
      if (part.function?.name) call.function.name += part.function.name;
      if (part.function?.arguments) call.function.arguments += part.function.arguments;
    }
  }
  return { text, toolCalls: calls.filter(Boolean) };
}

function parseArguments(raw: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
