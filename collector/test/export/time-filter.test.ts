import { afterEach, describe, expect, it } from 'vitest';
import { toClickHouseTime } from '../../src/export/preference-query.ts';

/**
 * --since / --until are UTC whatever the machine's zone: a date-time without an
 * offset read as local time would move the window by the operator's offset.
 */
describe('export time filters', () => {
  const zone = process.env.TZ;
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it('read a date-time without an offset as UTC on a machine in another zone', () => {
    process.env.TZ = 'America/New_York';
    expect(toClickHouseTime('2026-11-01T12:00:00', '')).toBe('2026-11-01 12:00:00.000');
    expect(toClickHouseTime('2026-11-01 12:00', '')).toBe('2026-11-01 12:00:00.000');
    expect(toClickHouseTime('2026-11-01', '')).toBe('2026-11-01 00:00:00.000');
  });

  it('keep an offset that is given', () => {
    process.env.TZ = 'America/New_York';
    expect(toClickHouseTime('2026-11-01T12:00:00+02:00', '')).toBe('2026-11-01 10:00:00.000');
    expect(toClickHouseTime('2026-11-01T12:00:00Z', '')).toBe('2026-11-01 12:00:00.000');
  });
});
