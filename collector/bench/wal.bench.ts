/**
 * Write-ahead log throughput with fsync on: how many OTLP requests per second
 * the collector can make durable, with group commit (many requests in flight)
 * and without it (one at a time), plus the cost of encoding a request.
 * Bounded: a fixed number of appends per case in a temp directory, removed after.
 * Run alone: node collector/bench/wal.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpanRecord } from '../src/otlp/span-record.ts';
import { decodeBatch, encodeBatch } from '../src/pipeline/batch-codec.ts';
import { Wal } from '../src/pipeline/wal/wal.ts';

/** A GenAI chat span with ≈ 2 KB of prompt and completion, like the ones the collector stores. */
function genAiSpan(i: number): SpanRecord {
  return {
    traceId: i.toString(16).padStart(32, '0'),
    spanId: i.toString(16).padStart(16, '0'),
    parentSpanId: '',
    traceState: '',
    name: 'chat gpt-4o-mini',
    kind: 'Client',
    startTimeUnixNano: 1_760_000_000_000_000_000n + BigInt(i) * 1_000_000n,
    endTimeUnixNano: 1_760_000_000_800_000_000n + BigInt(i) * 1_000_000n,
    serviceName: 'support-bot',
    resourceAttributes: { 'service.name': 'support-bot', 'telemetry.sdk.language': 'nodejs' },
    scopeName: '@oversight/sdk',
    scopeVersion: '0.1.0',
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 812,
      'gen_ai.usage.output_tokens': 143,
      'gen_ai.input.messages': JSON.stringify([
        {
          role: 'system',
          parts: [{ type: 'text', content: 'You answer from the knowledge base. '.repeat(8) }],
        },
        {
          role: 'user',
          parts: [{ type: 'text', content: `Question ${i}: how do I rotate my API key? `.repeat(12) }],
        },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        {
          role: 'assistant',
          parts: [{ type: 'text', content: 'Open settings, then API keys, then rotate. '.repeat(14) }],
        },
      ]),
    },
    events: [],
    links: [],
    statusCode: 'Ok',
    statusMessage: '',
  };
}

interface CaseResult {
  appendsPerSec: number;
  mbPerSec: number;
}

async function runCase(payload: Uint8Array, appends: number, concurrency: number): Promise<CaseResult> {
  const dir = await mkdtemp(join(tmpdir(), 'wal-bench-'));
  try {
    const wal = await Wal.open({
      dir,
      segmentBytes: 64 * 1024 * 1024,
      maxBytes: 4 * 1024 * 1024 * 1024,
      fsync: true,
    });
    let issued = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (issued < appends) {
          issued++;
          await wal.append(payload);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await wal.close();
    return {
      appendsPerSec: Math.round(appends / seconds),
      mbPerSec: Math.round(((appends * payload.byteLength) / seconds / 1e6) * 10) / 10,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchWal(): Promise<Record<string, number>> {
  const spansPerRequest = 100;
  const batch = {
    projectId: 'bench',
    receivedAt: Date.now(),
    spans: Array.from({ length: spansPerRequest }, (_, i) => genAiSpan(i)),
  };
  const rounds = 50;
  let payload = encodeBatch(batch);
  let t = performance.now();
  for (let i = 0; i < rounds; i++) payload = encodeBatch(batch);
  const encodeMs = (performance.now() - t) / rounds;
  t = performance.now();
  for (let i = 0; i < rounds; i++) decodeBatch(payload);
  const decodeMs = (performance.now() - t) / rounds;

  const grouped = await runCase(payload, 400, 32);
  const serial = await runCase(payload, 100, 1);
  const small = new Uint8Array(4096).fill(7);
  const smallGrouped = await runCase(small, 4000, 64);
  const smallSerial = await runCase(small, 300, 1);

  return {
    'wal.request_kb': Math.round(payload.byteLength / 1024),
    'wal.spans_per_request': spansPerRequest,
    'wal.encode_ms_per_request': Math.round(encodeMs * 100) / 100,
    'wal.decode_ms_per_request': Math.round(decodeMs * 100) / 100,
    'wal.group_commit.appends_per_s': grouped.appendsPerSec,
    'wal.group_commit.mb_per_s': grouped.mbPerSec,
    'wal.group_commit.spans_per_s': grouped.appendsPerSec * spansPerRequest,
    'wal.serial.appends_per_s': serial.appendsPerSec,
    'wal.serial.mb_per_s': serial.mbPerSec,
    'wal.small_4kb.group_commit.appends_per_s': smallGrouped.appendsPerSec,
    'wal.small_4kb.serial.appends_per_s': smallSerial.appendsPerSec,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.table(await benchWal());
}
