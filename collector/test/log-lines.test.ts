import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportDrainError, reportTraceStage } from '../src/log-lines.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

function captured(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
    lines.push(String(line));
  });
  return lines;
}

describe('log lines of the background stages', () => {
  it("say the trace stage's news as it is, not as a failed write", () => {
    const lines = captured();
    const report = reportTraceStage();
    report(new Error('trace stage: 3 traces left unscored at shutdown (recovered on start)'));
    report(new Error('trace stage: 3 traces left unscored at shutdown (recovered on start)'));
    report(new Error('read ECONNRESET'));
    expect(lines).toEqual([
      '[oversight] trace stage: 3 traces left unscored at shutdown (recovered on start)',
      '[oversight] trace stage: read ECONNRESET',
    ]);
  });

  it("say the drain's failed inserts once while they repeat", () => {
    const lines = captured();
    const report = reportDrainError();
    for (const message of ['connect ECONNREFUSED', 'connect ECONNREFUSED', 'timeout', 'connect ECONNREFUSED'])
      report(new Error(message));
    expect(lines).toEqual([
      '[oversight] writing to ClickHouse failed, will retry: connect ECONNREFUSED',
      '[oversight] writing to ClickHouse failed, will retry: timeout',
      '[oversight] writing to ClickHouse failed, will retry: connect ECONNREFUSED',
    ]);
  });
});
