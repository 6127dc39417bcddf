import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.ts';

describe('resolveConfig', () => {
  it('bounds the trace bodies held at once by 256 MiB unless told otherwise', () => {
    expect(resolveConfig().maxInFlightBytes).toBe(256 * 1024 ** 2);
    // Flags and environment variables arrive as text.
    expect(resolveConfig({ maxInFlightBytes: '134217728' as unknown as number }).maxInFlightBytes).toBe(
      128 * 1024 ** 2,
    );
  });

  it('refuses an in-flight budget the largest allowed body could never fit in', () => {
    expect(() => resolveConfig({ maxInFlightBytes: 1024 })).toThrow(
      'invalid configuration: maxInFlightBytes (1024) must be at least maxDecompressedBytes (67108864), or the largest body allowed could never be read',
    );
    expect(resolveConfig({ maxInFlightBytes: 1024, maxDecompressedBytes: 1024 }).maxInFlightBytes).toBe(1024);
    expect(() => resolveConfig({ maxInFlightBytes: 0 })).toThrow(
      /^invalid configuration: maxInFlightBytes: /,
    );
  });

  it('reads empty values (variables a deployment left blank) as unset, not as 0', () => {
    const blank = resolveConfig({
      port: '' as unknown as number,
      ttlDays: '' as unknown as number,
      rateLimitSpansPerSecond: ' ' as unknown as number,
      transformWorkers: '' as unknown as number,
      insecureDev: '',
      dataDir: '',
    });
    expect(blank).toMatchObject({ port: 4318, rateLimitSpansPerSecond: 0, insecureDev: false });
    expect(blank.dataDir).toBe('.oversight/data');
    expect(blank.ttlDays).toBeUndefined();
    expect(blank.transformWorkers).toBeUndefined();
    expect(resolveConfig({ ttlDays: '0' as unknown as number }).ttlDays).toBe(0);
  });

  it('takes by default the uncompressed 20 MiB body OTLP exporters may send, and its inflated form', () => {
    // OTLP/HTTP: clients SHOULD keep a body, before compression, to 20 MiB, and MUST NOT retry a 413.
    const { maxBodyBytes, maxDecompressedBytes } = resolveConfig();
    expect(maxBodyBytes).toBeGreaterThanOrEqual(20 * 1024 ** 2);
    expect(maxDecompressedBytes).toBeGreaterThanOrEqual(20 * 1024 ** 2);
  });
});
