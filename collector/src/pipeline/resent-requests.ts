import { createHash } from 'node:crypto';

/**
 * Requests the log has already taken, by their bytes, so that an exporter
 * resending one is answered without storing its spans a second time.
 *
 * An OTLP exporter that does not hear back in time (its timeout passed while
 * the log was fsyncing under load, or the connection dropped after the
 * append) sends the same request again, byte for byte: the OTel SDKs and the
 * Collector's exporter helper retry the request they marshalled. Every span
 * carries random ids and its own timestamps, so two requests with the same
 * bytes from one project are one request sent twice; `llm_spans` is a plain
 * MergeTree and the hourly roll-ups count on insert, so a second copy would
 * be counted everywhere.
 *
 * Memory is bounded by `capacity` digests (16,384 by default: ≈ 2 MiB, some
 * minutes of traffic at thousands of spans a second in batches of 512), the
 * oldest forgotten first. The window is this process's: a resend after the
 * collector restarted is stored again.
 */
export class ResentRequests {
  private readonly accepted = new Map<string, Promise<void>>();
  private readonly capacity: number;

  constructor(capacity = 16_384) {
    this.capacity = capacity;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`capacity must be a positive integer, got ${capacity}`);
  }

  /** The digest of one project's request body (after decompression). */
  static digest(projectId: string, body: Uint8Array): string {
    return createHash('sha256').update(projectId).update('\0').update(body).digest('base64');
  }

  get size(): number {
    return this.accepted.size;
  }

  /**
   * Appends through `append` unless the same request was taken before. A
   * resend that arrives while the first copy is still being appended waits
   * for it and shares its outcome; a copy whose append failed is forgotten,
   * so the exporter's next retry is appended.
   */
  async once(digest: string, append: () => Promise<void>): Promise<'appended' | 'resent'> {
    const earlier = this.accepted.get(digest);
    if (earlier) {
      await earlier;
      return 'resent';
    }
    const appended = append();
    this.accepted.set(digest, appended);
    if (this.accepted.size > this.capacity) {
      const oldest = this.accepted.keys().next().value as string;
      this.accepted.delete(oldest);
    }
    try {
      await appended;
    } catch (error) {
      if (this.accepted.get(digest) === appended) this.accepted.delete(digest);
      throw error;
    }
    return 'appended';
  }
}
