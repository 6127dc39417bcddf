import { type PostResult, postSpans, type SpanBatch, spanBatch } from './spans.ts';

/**
 * Concurrent exporters posting OTLP batches until told to stop (or until a
 * bounded number of requests), remembering which spans were acknowledged
 * (HTTP 200) and what every other request got.
 */
export interface Sender {
  /** Span ids of requests answered 200. */
  readonly acked: Set<string>;
  /** Every batch whose request was started, acknowledged or not. */
  readonly sent: SpanBatch[];
  /** Non-200 outcomes (status or network error code), in order. */
  readonly refusals: PostResult[];
  /** Resolves once at least `count` spans are acknowledged. */
  waitForAcks(count: number): Promise<void>;
  /** Stops starting requests and waits for those in flight. */
  stop(): Promise<void>;
}

export interface SenderOptions {
  url: string;
  apiKey: string;
  workers: number;
  spansPerRequest: number;
  /** Safety bound: a worker stops after this many requests (default 2,000). */
  maxRequestsPerWorker?: number;
  /** A worker stops at its first refused connection (the collector is gone). */
  stopOnConnectionError?: boolean;
}

export function startSender(options: SenderOptions): Sender {
  const acked = new Set<string>();
  const sent: SpanBatch[] = [];
  const refusals: PostResult[] = [];
  const ackWaiters = new Set<{ count: number; resolve: () => void }>();
  let stopping = false;

  const worker = async () => {
    for (let i = 0; i < (options.maxRequestsPerWorker ?? 2_000) && !stopping; i++) {
      const batch = spanBatch(options.spansPerRequest);
      sent.push(batch);
      const result = await postSpans(options.url, options.apiKey, batch);
      if (result.status === 200) {
        for (const id of batch.spanIds) acked.add(id);
        for (const waiter of ackWaiters) {
          if (acked.size < waiter.count) continue;
          ackWaiters.delete(waiter);
          waiter.resolve();
        }
        continue;
      }
      refusals.push(result);
      if (options.stopOnConnectionError && typeof result.status === 'string') return;
    }
  };
  const running = Promise.all(Array.from({ length: options.workers }, worker));

  return {
    acked,
    sent,
    refusals,
    waitForAcks(count) {
      if (acked.size >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        ackWaiters.add({ count, resolve });
        void running.then(() => {
          if (acked.size < count) reject(new Error(`senders stopped after ${acked.size} of ${count} acks`));
        });
      });
    },
    async stop() {
      stopping = true;
      await running;
    },
  };
}
