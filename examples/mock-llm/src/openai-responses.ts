/** `POST /v1/responses` (the Responses API), plain and streamed. */
import { asArray, type HandlerContext, isRecord, nowSeconds, numberOrUndefined } from './context.ts';
import { SseWriter, sendJson } from './http.ts';
import { chatTools, type OpenAiUsage, openaiToolChoice, openaiUsage, splitJson } from './openai-chat.ts';
import { contentText, decideReply, type Reply, type Turn } from './reply.ts';
import { datedModel, nextId, streamPieces } from './text.ts';

export function responsesTurns(body: Record<string, unknown>): Turn[] {
  const turns: Turn[] = [];
  if (typeof body.instructions === 'string' && body.instructions)
    turns.push({ role: 'system', text: body.instructions });
  if (typeof body.input === 'string') {
    turns.push({ role: 'user', text: body.input });
    return turns;
  }
  const toolNames = new Map<string, string>();
  for (const item of asArray(body.input)) {
    if (!isRecord(item)) continue;
    if (item.type === 'function_call') {
      toolNames.set(String(item.call_id), String(item.name ?? ''));
      turns.push({ role: 'assistant', text: String(item.arguments ?? '') });
    } else if (item.type === 'function_call_output') {
      const output = typeof item.output === 'string' ? item.output : contentText(item.output);
      turns.push({ role: 'tool', text: output, toolName: toolNames.get(String(item.call_id)) ?? '' });
    } else if (item.type === undefined || item.type === 'message') {
      const role = item.role === 'system' || item.role === 'developer' ? 'system' : item.role;
      if (role === 'system' || role === 'user' || role === 'assistant') {
        turns.push({ role, text: contentText(item.content) });
      }
    }
  }
  return turns;
}

function usageBody(u: OpenAiUsage): Record<string, unknown> {
  return {
    input_tokens: u.prompt,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.completion,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.prompt + u.completion,
  };
}

function outputItem(reply: Reply, itemId: string): Record<string, unknown> {
  if (reply.kind === 'tool') {
    return {
      type: 'function_call',
      id: itemId,
      call_id: reply.callId,
      name: reply.name,
      arguments: reply.arguments,
      status: 'completed',
    };
  }
  return {
    type: 'message',
    id: itemId,
    status: reply.truncated ? 'incomplete' : 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text: reply.text, annotations: [], logprobs: [] }],
  };
}

export async function responses(ctx: HandlerContext): Promise<void> {
  const { body } = ctx;
  const model = String(body.model);
  const turns = responsesTurns(body);
  const reply = decideReply(
    turns,
    chatTools(body.tools),
    openaiToolChoice(body.tool_choice),
    numberOrUndefined(body.max_output_tokens),

    ctx.script,
  );
  const usage = openaiUsage(ctx, turns, reply, model);
  const itemId = reply.kind === 'tool' ? nextId('fc_') : nextId('msg_');
  const truncated = reply.kind === 'text' && reply.truncated;
  const envelope = {
    id: nextId('resp_'),
    object: 'response',
    created_at: nowSeconds(),
    model: datedModel(model),
    error: null,
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    max_output_tokens: numberOrUndefined(body.max_output_tokens) ?? null,
    metadata: isRecord(body.metadata) ? body.metadata : {},
    parallel_tool_calls: body.parallel_tool_calls !== false,
    previous_response_id: typeof body.previous_response_id === 'string' ? body.previous_response_id : null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: body.store !== false,
    temperature: numberOrUndefined(body.temperature) ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: asArray(body.tools),
    top_p: numberOrUndefined(body.top_p) ?? 1,
    truncation: 'disabled',
    user: typeof body.user === 'string' ? body.user : null,
  };
  const finished = {
    ...envelope,
    status: truncated ? 'incomplete' : 'completed',
    incomplete_details: truncated ? { reason: 'max_output_tokens' } : null,
    output: [outputItem(reply, itemId)],
    usage: usageBody(usage),
  };
  const headers = { 'x-request-id': nextId('req_'), 'openai-processing-ms': '1' };

  if (body.stream !== true) {
    sendJson(ctx.res, 200, finished, headers);
    return;
  }

  const sse = new SseWriter(ctx.res, ctx.chunkDelayMs, headers);
  let sequence = 0;
  const emit = (type: string, fields: Record<string, unknown>) =>
    sse.send({ type, sequence_number: sequence++, ...fields }, type);
  const inProgress = {
    ...envelope,
    status: 'in_progress',
    incomplete_details: null,
    output: [],
    usage: null,
  };
  await emit('response.created', { response: inProgress });
  await emit('response.in_progress', { response: inProgress });
  if (reply.kind === 'tool') {
    await emit('response.output_item.added', {
      output_index: 0,
      item: { ...outputItem(reply, itemId), arguments: '', status: 'in_progress' },
    });
    for (const delta of splitJson(reply.arguments)) {
      await emit('response.function_call_arguments.delta', { item_id: itemId, output_index: 0, delta });
    }
    await emit('response.function_call_arguments.done', {
      item_id: itemId,
      output_index: 0,
      arguments: reply.arguments,
    });
  } else {
    await emit('response.output_item.added', {
      output_index: 0,
      item: { type: 'message', id: itemId, status: 'in_progress', role: 'assistant', content: [] },
    });
    const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
    await emit('response.content_part.added', { item_id: itemId, output_index: 0, content_index: 0, part });
    for (const delta of streamPieces(reply.text)) {
      await emit('response.output_text.delta', {
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        delta,
        logprobs: [],
      });
    }
    await emit('response.output_text.done', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      text: reply.text,
      logprobs: [],
    });
    await emit('response.content_part.done', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { ...part, text: reply.text },
    });
  }
  await emit('response.output_item.done', { output_index: 0, item: outputItem(reply, itemId) });
  await emit(truncated ? 'response.incomplete' : 'response.completed', { response: finished });
  sse.end();
}
