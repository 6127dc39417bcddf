import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The collector's Prometheus metrics. Gauges that mirror another component's
 * state (queue depth, log size) read it at scrape time through `observe`, so
 * nothing on the hot path updates them.
 */
export interface CollectorMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'status'>;
  readonly spansReceived: Counter<'format'>;
  readonly spansRejected: Counter<'reason'>;
  /** Spans of requests that repeated one already accepted: answered, not stored again. */
  readonly spansResent: Counter;
  /** Log entries the drain set aside in the dead-letter file. */
  readonly deadLettered: Counter;
  readonly rowsWritten: Counter<'table'>;
  readonly insertSeconds: Histogram<'table'>;
  /** Register the scrape-time source of the queue-depth, log-size, store and in-flight gauges. */
  observe(source: () => MetricsSource): void;
}

export interface MetricsSource {
  queueDepth: number;
  walBytes: number;
  storeHealthy: boolean;
  /** Bytes of trace and feedback bodies being read or answered now (`--max-in-flight-bytes` bounds it). */
  inFlightBodyBytes: number;
}

export function createMetrics(): CollectorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'oversight_process_' });
  let source = (): MetricsSource => ({
    queueDepth: 0,
    walBytes: 0,
    storeHealthy: true,
    inFlightBodyBytes: 0,
  });
  new Gauge({
    name: 'oversight_queue_depth',
    help: 'Accepted requests in the write-ahead log not yet written to ClickHouse',
    registers: [registry],
    collect() {
      this.set(source().queueDepth);
    },
  });
  new Gauge({
    name: 'oversight_wal_bytes',
    help: 'Bytes held by the write-ahead log',
    registers: [registry],
    collect() {
      this.set(source().walBytes);
    },
  });
  new Gauge({
    name: 'oversight_in_flight_body_bytes',
    help: 'Bytes of trace and feedback request bodies being read or answered now',
    registers: [registry],
    collect() {
      this.set(source().inFlightBodyBytes);
    },
  });
  new Gauge({
    name: 'oversight_store_up',
    help: '1 when the last ClickHouse insert succeeded',
    registers: [registry],
    collect() {
      this.set(source().storeHealthy ? 1 : 0);
    },
  });
  return {
    registry,
    requests: new Counter({
      name: 'oversight_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    spansReceived: new Counter({
      name: 'oversight_spans_received_total',
      help: 'Spans accepted into the write-ahead log',
      labelNames: ['format'],
      registers: [registry],
    }),
    spansRejected: new Counter({
      name: 'oversight_spans_rejected_total',
      help: 'Spans refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    spansResent: new Counter({
      name: 'oversight_spans_resent_total',
      help: 'Spans of requests an exporter sent again after they were accepted; acknowledged, not stored twice',
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'oversight_dead_lettered_total',
      help: 'Accepted requests set aside in the dead-letter file (undecodable, or rows ClickHouse refused): not stored, or not whole',
      registers: [registry],
    }),
    rowsWritten: new Counter({
      name: 'oversight_rows_written_total',
      help: 'Rows inserted into ClickHouse, by table',
      labelNames: ['table'],
      registers: [registry],
    }),
    insertSeconds: new Histogram({
      name: 'oversight_insert_duration_seconds',
      help: 'ClickHouse insert latency',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    observe(next) {
      source = next;
    },
  };
}
