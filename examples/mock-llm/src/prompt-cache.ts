/**
 * Prompt caching as the providers bill it, made deterministic per server:
 * OpenAI caches automatically, so a request whose leading messages (all but
 * the last) match an earlier request's reports those messages' tokens as
 * `cached_tokens`. Anthropic caches only up to a `cache_control` marker: the
 * first time a marked prefix is seen it is a cache write, later a cache read.
 */
export class PromptCache {
  #prompts: string[][] = [];
  #marked = new Set<string>();

  /** `keys[i]` identifies message i, `tokens[i]` is its token count. */
  automatic(keys: string[], tokens: number[]): number {
    let best = 0;
    for (const earlier of this.#prompts) {
      let n = 0;
      while (n < keys.length - 1 && n < earlier.length && earlier[n] === keys[n]) n += 1;
      best = Math.max(best, n);
    }
    this.#prompts.push(keys);
    if (this.#prompts.length > 200) this.#prompts.shift();
    return tokens.slice(0, best).reduce((a, b) => a + b, 0);
  }

  /** True when this marked prefix was cached by an earlier request (a read), false for a write. */
  marked(prefixKey: string): boolean {
    if (this.#marked.has(prefixKey)) return true;
    this.#marked.add(prefixKey);
    return false;
  }
}
