/**
 * An app with its own OpenTelemetry setup calls oversightInstrumentations()
 * and never init(): the options it passes there are the only ones it gives,
 * so the RAG helpers read them too.
 */
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT } from '@oversight/conventions/attributes';
import { afterAll, describe, expect, it } from 'vitest';
import { oversightInstrumentations } from '../src/init.ts';
import { retrieve } from '../src/rag/index.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
trace.setGlobalTracerProvider(provider);
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});

const queryOf = () => {
  const [span] = exporter.getFinishedSpans();
  exporter.reset();
  return span?.attributes[ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT];
};

describe('oversightInstrumentations() without init()', () => {
  it('sets the content policy the RAG helpers record by', () => {
    retrieve('my card 4111 is stolen', () => []);
    expect(queryOf()).toBe('my card 4111 is stolen');

    expect(oversightInstrumentations({ redact: (t) => t.replaceAll('4111', '[CARD]') }).length).toBe(2);
    retrieve('my card 4111 is stolen', () => []);
    expect(queryOf()).toBe('my card [CARD] is stolen');

    oversightInstrumentations({ captureContent: false });
    retrieve('my card 4111 is stolen', () => []);
    expect(queryOf()).toBeUndefined();
  });
});
