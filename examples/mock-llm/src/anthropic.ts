/** `POST /v1/messages` (Anthropic Messages API), plain and streamed. */
import { asArray, type HandlerContext, isRecord, numberOrUndefined } from './context.ts';
import { SseWriter, sendJson } from './http.ts';
import { splitJson } from './openai-chat.ts';
import { contentText, decideReply, promptTokens, type Reply, type Turn } from './reply.ts';
import { countTokens, nextId, streamPieces } from './text.ts';
import type { ToolChoice, ToolSpec } from './tools.ts';

interface Block {
  turnRole: Turn['role'];
  text: string;
  toolName?: string;
  marked: boolean;
}

/** Flattens system, tools and messages into blocks in the order Anthropic caches them. */
function blocks(body: Record<string, unknown>): Block[] {
  const out: Block[] = [];
  const marked = (b: unknown) => isRecord(b) && isRecord(b.cache_control);
  for (const t of asArray(body.tools)) {
    if (isRecord(t)) out.push({ turnRole: 'system', text: '', marked: marked(t) });
  }
  if (typeof body.system === 'string') out.push({ turnRole: 'system', text: body.system, marked: false });
  for (const b of asArray(body.system))
    out.push({ turnRole: 'system', text: contentText([b]), marked: marked(b) });
  const toolNames = new Map<string, string>();
  for (const m of asArray(body.messages)) {
    if (!isRecord(m)) continue;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    if (typeof m.content === 'string') {
      out.push({ turnRole: role, text: m.content, marked: false });
      continue;
    }
    for (const b of asArray(m.content)) {
      if (!isRecord(b)) continue;
      if (b.type === 'tool_use') {
        toolNames.set(String(b.id), String(b.name ?? ''));
        out.push({ turnRole: 'assistant', text: JSON.stringify(b.input ?? {}), marked: marked(b) });
      } else if (b.type === 'tool_result') {
        const name = toolNames.get(String(b.tool_use_id)) ?? '';
        out.push({ turnRole: 'tool', text: contentText(b.content), toolName: name, marked: marked(b) });
      } else {
        out.push({ turnRole: role, text: contentText([b]), marked: marked(b) });
      }
    }
  }
  return out;
}

function turnsOf(all: Block[]): Turn[] {
  return all
    .filter((b) => b.text !== '' || b.turnRole === 'tool')
    .map((b) =>
      b.toolName !== undefined
        ? { role: b.turnRole, text: b.text, toolName: b.toolName }
        : { role: b.turnRole, text: b.text },
    );
}

function anthropicTools(tools: unknown): ToolSpec[] {
  return asArray(tools).flatMap((t) =>
    isRecord(t) && typeof t.name === 'string' ? [{ name: t.name, parameters: t.input_schema }] : [],
  );
}

function anthropicToolChoice(choice: unknown): ToolChoice {
  if (!isRecord(choice)) return { kind: 'auto' };
  if (choice.type === 'none') return { kind: 'none' };
  if (choice.type === 'any') return { kind: 'required' };
  if (choice.type === 'tool' && typeof choice.name === 'string') return { kind: 'named', name: choice.name };
  return { kind: 'auto' };
}

interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

function usageFor(ctx: HandlerContext, all: Block[], reply: Reply): AnthropicUsage {
  const total = promptTokens(turnsOf(all));
  const lastMarked = all.findLastIndex((b) => b.marked);
  let creation = 0;
  let read = 0;
  if (lastMarked >= 0) {
    const prefix = all.slice(0, lastMarked + 1);
    const prefixTokens = prefix.reduce((sum, b) => sum + countTokens(b.text), 0);
    const key = JSON.stringify(prefix.map((b) => [b.turnRole, b.text]));
    if (ctx.cache.marked(key)) read = prefixTokens;
    else creation = prefixTokens;
  }
  // Anthropic's input_tokens counts only what was neither read from nor written to the cache.
  return {
    input_tokens: Math.max(0, total - creation - read),
    output_tokens: reply.outputTokens,
    cache_creation_input_tokens: creation,
    cache_read_input_tokens: read,
  };
}

function stopReason(reply: Reply): string {
  if (reply.kind === 'tool') return 'tool_use';
  return reply.truncated ? 'max_tokens' : 'end_turn';
}

function contentBlock(reply: Reply): Record<string, unknown> {
  return reply.kind === 'tool'
    ? {
        type: 'tool_use',
        id: reply.callId.replace(/^call_/, 'toolu_'),
        name: reply.name,
        input: JSON.parse(reply.arguments),
      }
    : { type: 'text', text: reply.text };
}

export async function messages(ctx: HandlerContext): Promise<void> {
  const { body } = ctx;
  const all = blocks(body);
  const reply = decideReply(
    turnsOf(all),
    anthropicTools(body.tools),
    anthropicToolChoice(body.tool_choice),
    numberOrUndefined(body.max_tokens),

    ctx.script,
  );
  const usage = usageFor(ctx, all, reply);
  const base = { id: nextId('msg_'), type: 'message', role: 'assistant', model: String(body.model) };
  const headers = { 'request-id': nextId('req_') };

  if (body.stream !== true) {
    sendJson(
      ctx.res,
      200,
      {
        ...base,
        content: [contentBlock(reply)],
        stop_reason: stopReason(reply),
        stop_sequence: null,
        usage: { ...usage, service_tier: 'standard' },
      },
      headers,
    );
    return;
  }

  const sse = new SseWriter(ctx.res, ctx.chunkDelayMs, headers);
  const emit = (type: string, fields: Record<string, unknown>) => sse.send({ type, ...fields }, type);
  await emit('message_start', {
    message: {
      ...base,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1, service_tier: 'standard' },
    },
  });
  const block = contentBlock(reply);
  if (reply.kind === 'tool') {
    await emit('content_block_start', { index: 0, content_block: { ...block, input: {} } });
    await emit('ping', {});
    for (const partial of splitJson(reply.arguments)) {
      await emit('content_block_delta', {
        index: 0,
        delta: { type: 'input_json_delta', partial_json: partial },
      });
    }
  } else {
    await emit('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    await emit('ping', {});
    for (const text of streamPieces(reply.text)) {
      await emit('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
    }
  }
  await emit('content_block_stop', { index: 0 });
  await emit('message_delta', {
    delta: { stop_reason: stopReason(reply), stop_sequence: null },
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
    },
  });
  await emit('message_stop', {});
  sse.end();
}
