import * as A from '@oversight/conventions/attributes';
import { isObj, type LlmCall, num, str } from '../llm-span.ts';

export function recordEmbeddings(call: LlmCall, result: unknown): unknown {
  if (isObj(result)) {
    call.responseModel(result.model);
    const first = Array.isArray(result.data) ? result.data[0] : undefined;
    const vector = isObj(first) ? first.embedding : undefined;
    // Decoded vectors are arrays (or Float32Arrays); base64 strings would give a wrong count.
    if (vector && typeof vector !== 'string' && typeof (vector as { length?: unknown }).length === 'number') {
      call.set(A.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT, (vector as { length: number }).length);
    }
    const usage = isObj(result.usage) ? result.usage : {};
    call.usage({ inputTokens: num(usage.prompt_tokens) ?? num(usage.total_tokens), outputTokens: undefined });
    call.set(A.ATTR_GEN_AI_RESPONSE_ID, str(result.id));
  }
  call.end();
  return result;
}
