/** `POST /v1/chat/completions`, plain and streamed. */
import { asArray, type HandlerContext, isRecord, nowSeconds, numberOrUndefined } from './context.ts';
import { SseWriter, sendJson } from './http.ts';
import { contentText, decideReply, promptTokens, type Reply, type Turn } from './reply.ts';
import { countTokens, datedModel, isReasoningModel, nextId, streamPieces } from './text.ts';
import type { ToolChoice, ToolSpec } from './tools.ts';

export function chatTurns(messages: unknown[]): Turn[] {
  const toolNames = new Map<string, string>();
  const turns: Turn[] = [];
  for (const m of messages) {
    if (!isRecord(m)) continue;
    const role = m.role === 'system' || m.role === 'developer' ? 'system' : m.role;
    for (const call of asArray(m.tool_calls)) {
      if (isRecord(call) && isRecord(call.function) && typeof call.id === 'string') {
        toolNames.set(call.id, String(call.function.name ?? ''));
      }
    }
    if (role === 'tool') {
      const id = typeof m.tool_call_id === 'string' ? m.tool_call_id : '';
      turns.push({ role: 'tool', text: contentText(m.content), toolName: toolNames.get(id) ?? '' });
    } else if (role === 'system' || role === 'user' || role === 'assistant') {
      const calls = asArray(m.tool_calls)
        .map((c) => (isRecord(c) && isRecord(c.function) ? String(c.function.arguments ?? '') : ''))
        .join(' ');
      turns.push({ role, text: [contentText(m.content), calls].filter(Boolean).join(' ') });
    }
  }
  return turns;
}

export function chatTools(tools: unknown): ToolSpec[] {
  return asArray(tools).flatMap((t) => {
    if (!isRecord(t)) return [];
    // Chat completions nest the function; the Responses API flattens it.
    const fn = isRecord(t.function) ? t.function : t;
    return typeof fn.name === 'string' ? [{ name: fn.name, parameters: fn.parameters }] : [];
  });
}

export function openaiToolChoice(choice: unknown): ToolChoice {
  if (choice === 'none') return { kind: 'none' };
  if (choice === 'required') return { kind: 'required' };
  if (isRecord(choice)) {
    const name = isRecord(choice.function) ? choice.function.name : choice.name;
    if (typeof name === 'string') return { kind: 'named', name };
  }
  return { kind: 'auto' };
}

export interface OpenAiUsage {
  prompt: number;
  cached: number;
  completion: number;
  reasoning: number;
}

export function openaiUsage(ctx: HandlerContext, turns: Turn[], reply: Reply, model: string): OpenAiUsage {
  const cached = ctx.cache.automatic(
    turns.map((t) => `${t.role}\u0000${t.text}`),
    turns.map((t) => countTokens(t.text)),
  );
  const reasoning = isReasoningModel(
    model,
    ctx.body.reasoning_effort !== undefined || isRecord(ctx.body.reasoning),
  )
    ? reply.outputTokens
    : 0;
  return { prompt: promptTokens(turns), cached, completion: reply.outputTokens + reasoning, reasoning };
}

function usageBody(u: OpenAiUsage): Record<string, unknown> {
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function finishReason(reply: Reply): string {
  if (reply.kind === 'tool') return 'tool_calls';
  return reply.truncated ? 'length' : 'stop';
}

export async function chatCompletions(ctx: HandlerContext): Promise<void> {
  const { body } = ctx;
  const model = String(body.model);
  const turns = chatTurns(asArray(body.messages));
  const maxTokens = numberOrUndefined(body.max_completion_tokens) ?? numberOrUndefined(body.max_tokens);
  const reply = decideReply(
    turns,
    chatTools(body.tools),
    openaiToolChoice(body.tool_choice),
    maxTokens,
    ctx.script,
  );
  const usage = openaiUsage(ctx, turns, reply, model);
  const base = {
    id: nextId('chatcmpl-'),
    created: nowSeconds(),
    model: datedModel(model),
    system_fingerprint: 'fp_mock0001',
    service_tier: 'default',
  };
  const headers = { 'x-request-id': nextId('req_'), 'openai-processing-ms': '1' };

  if (body.stream !== true) {
    const message =
      reply.kind === 'tool'
        ? {
            role: 'assistant',
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: [
              {
                id: reply.callId,
                type: 'function',
                function: { name: reply.name, arguments: reply.arguments },
              },
            ],
          }
        : { role: 'assistant', content: reply.text, refusal: null, annotations: [] };
    sendJson(
      ctx.res,
      200,
      {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
        usage: usageBody(usage),
      },
      headers,
    );
    return;
  }

  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  // With include_usage the real API sends `usage: null` on every chunk but the last.
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const sse = new SseWriter(ctx.res, ctx.chunkDelayMs, headers);
  if (reply.kind === 'tool') {
    await sse.send(
      chunk(
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { index: 0, id: reply.callId, type: 'function', function: { name: reply.name, arguments: '' } },
          ],
        },
        null,
      ),
    );
    for (const piece of splitJson(reply.arguments)) {
      await sse.send(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null));
    }
  } else {
    await sse.send(chunk({ role: 'assistant', content: '', refusal: null }, null));
    for (const piece of streamPieces(reply.text)) await sse.send(chunk({ content: piece }, null));
  }
  await sse.send(chunk({}, finishReason(reply)));
  if (includeUsage)
    await sse.send({ ...base, object: 'chat.completion.chunk', choices: [], usage: usageBody(usage) });
  await sse.send('[DONE]');
  sse.end();
}

/** Streams JSON arguments in a few pieces, as the real API does. */
export function splitJson(text: string): string[] {
  const size = Math.max(1, Math.ceil(text.length / 4));
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}
