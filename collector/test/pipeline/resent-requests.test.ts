import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResentRequests } from '../../src/pipeline/resent-requests.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

/** An append that settles when the test says so, counting its calls. */
function controlledAppend() {
  const calls: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const append = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { append, calls };
}

describe('ResentRequests', () => {
  it('appends a request once and answers its resend without appending', async () => {
    const seen = new ResentRequests();
    let appends = 0;
    const append = async () => {
      appends++;
    };
    const digest = ResentRequests.digest('p1', bytes('{"resourceSpans":[]}'));
    expect(await seen.once(digest, append)).toBe('appended');
    expect(await seen.once(digest, append)).toBe('resent');
    expect(await seen.once(ResentRequests.digest('p1', bytes('{"resourceSpans":[1]}')), append)).toBe(
      'appended',
    );
    expect(appends).toBe(2);
  });

  it('tells projects apart: the same bytes from another project are another request', () => {
    const body = bytes('same bytes');
    expect(ResentRequests.digest('p1', body)).not.toBe(ResentRequests.digest('p2', body));
    // The separator keeps a project id from running into the body.
    expect(ResentRequests.digest('p1', bytes('xbody'))).not.toBe(ResentRequests.digest('p1x', bytes('body')));
  });

  it('a resend arriving while the first copy is appended waits for it and shares its outcome', async () => {
    const seen = new ResentRequests();
    const { append, calls } = controlledAppend();
    const first = seen.once('d', append);
    const second = seen.once('d', append);
    let secondDone = false;
    void second.then(() => {
      secondDone = true;
    });
    await Promise.resolve();
    expect(calls).toHaveLength(1);
    expect(secondDone).toBe(false);
    calls[0]?.resolve();
    expect(await first).toBe('appended');
    expect(await second).toBe('resent');
  });

  it('forgets a copy whose append failed, so the next retry is appended', async () => {
    const seen = new ResentRequests();
    const { append, calls } = controlledAppend();
    const first = seen.once('d', append);
    const waiting = seen.once('d', append);
    calls[0]?.reject(new Error('log full'));
    await expect(first).rejects.toThrow('log full');
    await expect(waiting).rejects.toThrow('log full');
    expect(seen.size).toBe(0);
    const retry = seen.once('d', append);
    expect(calls).toHaveLength(2);
    calls[1]?.resolve();
    expect(await retry).toBe('appended');
  });

  it('remembers at most its capacity, forgetting the oldest first', async () => {
    const seen = new ResentRequests(2);
    const append = async () => {};
    for (const d of ['a', 'b', 'c']) expect(await seen.once(d, append)).toBe('appended');
    expect(seen.size).toBe(2);
    expect(await seen.once('c', append)).toBe('resent');
    expect(await seen.once('b', append)).toBe('resent');
    expect(await seen.once('a', append)).toBe('appended');
    expect(() => new ResentRequests(0)).toThrow('capacity must be a positive integer, got 0');
  });
});

describe('ResentRequests kept in a journal', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  async function journalPath(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'oversight-resent-'));
    dirs.push(dir);
    return join(dir, 'resent-requests.log');
  }
  const append = async () => {};

  it('a window opened on the same journal knows the requests the last one took', async () => {
    const path = await journalPath();
    const first = await ResentRequests.open(path);
    for (const d of ['a', 'b', 'c']) expect(await first.once(d, append)).toBe('appended');
    await first.close();
    const next = await ResentRequests.open(path);
    expect(next.size).toBe(3);
    expect(await next.once('b', append)).toBe('resent');
    expect(await next.once('d', append)).toBe('appended');
    await next.close();
    expect(await readFile(path, 'utf8')).toBe('a\nb\nc\nd\n');
  });

  it('journals a request only once the log took it', async () => {
    const path = await journalPath();
    const seen = await ResentRequests.open(path);
    await expect(seen.once('failed', () => Promise.reject(new Error('log full')))).rejects.toThrow(
      'log full',
    );
    expect(await seen.once('taken', append)).toBe('appended');
    await seen.close();
    expect(await readFile(path, 'utf8')).toBe('taken\n');
  });

  it('reads past a line torn by a crash, and the next digest starts a line of its own', async () => {
    const path = await journalPath();
    await writeFile(path, 'aaa\nbb');
    const seen = await ResentRequests.open(path);
    expect(await seen.once('aaa', append)).toBe('resent');
    expect(await seen.once('bb', append)).toBe('appended');
    await seen.close();
    const again = await ResentRequests.open(path);
    expect(await again.once('bb', append)).toBe('resent');
    await again.close();
  });

  it('is rewritten to the window once it holds twice as many lines, and keeps the newest', async () => {
    const path = await journalPath();
    const seen = await ResentRequests.open(path, { capacity: 2 });
    for (const d of ['a', 'b', 'c', 'd', 'e']) await seen.once(d, append);
    await seen.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines.slice(-2)).toEqual(['d', 'e']);
    const next = await ResentRequests.open(path, { capacity: 2 });
    expect(await next.once('e', append)).toBe('resent');
    expect(await next.once('a', append)).toBe('appended');
    await next.close();
  });

  it('says once that it cannot write, and goes on taking requests in memory', async () => {
    const path = await journalPath();
    const errors: string[] = [];
    const seen = await ResentRequests.open(path, { capacity: 1, onError: (e) => errors.push(e.message) });
    expect(await seen.once('a', append)).toBe('appended');
    // The rewrite's rename cannot replace a directory that is not empty.
    await unlink(path);
    await mkdir(path);
    await writeFile(join(path, 'in-the-way'), '');
    for (const d of ['b', 'c', 'd']) expect(await seen.once(d, append)).toBe('appended');
    expect(await seen.once('d', append)).toBe('resent');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^resent-request journal .*resent-requests\.log: .*resends after a restart may be stored twice$/,
    );
    await seen.close();
  });

  it('notes how far it has followed the log, and keeps that through a rewrite', async () => {
    const path = await journalPath();
    const seen = await ResentRequests.open(path, { capacity: 2 });
    let position = 0;
    const logged = async () => {
      position += 100;
      return position;
    };
    for (const d of ['a', 'b', 'c', 'd', 'e']) await seen.once(d, logged);
    expect(seen.journalledThrough).toBe(500);
    await seen.close();
    // Rewritten at the fifth: the window's two digests, the last with the position.
    expect(await readFile(path, 'utf8')).toBe('d\ne 500\n');
    const next = await ResentRequests.open(path, { capacity: 2 });
    expect(next.journalledThrough).toBe(500);
    expect(await next.once('d', logged)).toBe('resent');
    await next.close();
  });

  it('never rewrites into the journal a request whose append has not succeeded', async () => {
    const path = await journalPath();
    await writeFile(path, 'l1\nl2\nl3\nl4\nl5\nl6\n');
    const seen = await ResentRequests.open(path, { capacity: 3 });
    const { append: pending, calls } = controlledAppend();
    const inFlight = seen.once('in-flight', pending);
    // Seven lines for a window of three: this one rewrites the journal while the other is appended.
    expect(await seen.once('x', append)).toBe('appended');
    calls[0]?.reject(new Error('log full'));
    await expect(inFlight).rejects.toThrow('log full');
    await seen.close();
    expect(await readFile(path, 'utf8')).toBe('l6\nx\n');
    // Its exporter's retry, to the next process, must be stored.
    const next = await ResentRequests.open(path, { capacity: 3 });
    expect(await next.once('in-flight', append)).toBe('appended');
    await next.close();
  });

  it('learns the digests the log holds that the journal never heard of', async () => {
    const seen = await ResentRequests.open(await journalPath(), { capacity: 3 });
    await seen.once('a', append);
    seen.know(['a', 'x', 'y']);
    expect(seen.size).toBe(3);
    expect(await seen.once('x', append)).toBe('resent');
    await seen.close();
  });
});
