import { describe, expect, it } from 'vitest';
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
