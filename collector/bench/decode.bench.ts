/**
 * OTLP decode throughput: 1,000 GenAI chat spans (≈ 1.5 KB of prompt and
 * completion each) from the real OTel JS SDK and serializers, decoded to
 * SpanRecords, plus reading the same request gzip-compressed.
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeTraceRequest, type OtlpFormat, readRequestBody } from '../src/otlp/index.ts';
import { makeGenAiSpans } from './genai-fixture.ts';

const SPANS = 1000;

function medianMs(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function timeDecode(body: Uint8Array, format: OtlpFormat, rounds: number): number {
  for (let i = 0; i < 10; i++) decodeTraceRequest(body, format);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    const result = decodeTraceRequest(body, format);
    samples.push(performance.now() - start);
    if (result.spans.length !== SPANS) throw new Error(`decoded ${result.spans.length} of ${SPANS} spans`);
  }
  return medianMs(samples);
}

async function timeGunzip(compressed: Uint8Array, rounds: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await readRequestBody(compressed, { contentEncoding: 'gzip' });
    samples.push(performance.now() - start);
  }
  return medianMs(samples);
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export async function benchDecode(): Promise<Record<string, number>> {
  const spans = await makeGenAiSpans(SPANS);
  const protobuf = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
  const json = JsonTraceSerializer.serializeRequest(spans) as Uint8Array;
  const protobufMs = timeDecode(protobuf, 'protobuf', 40);
  const jsonMs = timeDecode(json, 'json', 40);
  const gzipped = gzipSync(protobuf);
  const gunzipMs = await timeGunzip(gzipped, 20);
  return {
    'otlp.request_kb.protobuf': Math.round(protobuf.byteLength / 1024),
    'otlp.request_kb.json': Math.round(json.byteLength / 1024),
    'otlp.decode.protobuf.ms_per_1000_spans': round2(protobufMs),
    'otlp.decode.json.ms_per_1000_spans': round2(jsonMs),
    'otlp.decode.protobuf.spans_per_s': Math.round((SPANS / protobufMs) * 1000),
    'otlp.decode.json.spans_per_s': Math.round((SPANS / jsonMs) * 1000),
    'otlp.read_gzip.protobuf.ms_per_1000_spans': round2(gunzipMs),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.table(await benchDecode());
}
