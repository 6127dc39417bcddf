// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Grafana's ${var} syntax, not templates
/** The harness's macro and variable expansion, pinned to the plugin's documented outputs. */
import { describe, expect, it } from 'vitest';
import { applyConditionalAll, applyMacros, expand, type QueryContext, replaceVariables } from './expand.ts';

// The plugin's README examples use these instants.
const ctx = (over: Partial<QueryContext> = {}): QueryContext => ({
  from: new Date(1415792726 * 1000),
  to: new Date(1447328726 * 1000),
  intervalMs: 30_000,
  variables: [
    { name: 'service', options: ['a', 'b', "o'neil"], current: '$__all' },
    { name: 'model', options: ['m1', 'm2'], current: ['m1', 'm2'] },
    { name: 'one', options: ['x', 'y'], current: 'x' },
    { name: 'none', options: ['x'], current: '' },
  ],
  ...over,
});

describe('backend macros (pkg/macros/macros.go)', () => {
  it.each([
    ['$__timeFilter(time)', 'time >= toDateTime(1415792726) AND time <= toDateTime(1447328726)'],
    [
      '$__timeFilter_ms(time)',
      'time >= fromUnixTimestamp64Milli(1415792726000) AND time <= fromUnixTimestamp64Milli(1447328726000)',
    ],
    ['$__dateFilter(date)', "date >= toDate('2014-11-12') AND date <= toDate('2015-11-12')"],
    [
      '$__dateTimeFilter(d, t)',
      "(d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')) AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))",
    ],
    ['$__fromTime', 'toDateTime(1415792726)'],
    ['$__toTime', 'toDateTime(1447328726)'],
    ['$__fromTime_ms', 'fromUnixTimestamp64Milli(1415792726000)'],
    ['$__toTime_ms', 'fromUnixTimestamp64Milli(1447328726000)'],
    ['$__timeInterval(ts)', 'toStartOfInterval(toDateTime(ts), INTERVAL 30 second)'],
    ['$__timeInterval_ms(ts)', 'toStartOfInterval(toDateTime64(ts, 3), INTERVAL 30000 millisecond)'],
    ['$__interval_s', '30'],
  ])('%s', (macro, expected) => {
    expect(applyMacros(macro, ctx())).toBe(expected);
  });

  it('keeps one-second intervals at least, and expands nested arguments whole', () => {
    expect(applyMacros('$__interval_s', ctx({ intervalMs: 200 }))).toBe('1');
    expect(applyMacros('SELECT $__timeInterval(toDateTime(ts, 3)) AS t', ctx())).toBe(
      'SELECT toStartOfInterval(toDateTime(toDateTime(ts, 3)), INTERVAL 30 second) AS t',
    );
  });

  it('refuses a wrong argument count and an unknown macro', () => {
    expect(() => applyMacros('$__timeFilter(a, b)', ctx())).toThrow(/expected 1 argument/);
    expect(() => applyMacros('$__timeFrame(a)', ctx())).toThrow(/not expanded/);
  });
});

describe('$__conditionalAll (the plugin frontend)', () => {
  it('drops the condition for "All" and empty selections, keeps it otherwise', () => {
    expect(applyConditionalAll('$__conditionalAll(s IN ($service), $service)', ctx().variables)).toBe('1=1');
    expect(applyConditionalAll('$__conditionalAll(x IN ($none), ${none})', ctx().variables)).toBe('1=1');
    expect(
      applyConditionalAll('$__conditionalAll(m IN (${model:singlequote}), $model)', ctx().variables),
    ).toBe('m IN (${model:singlequote})');
  });

  it('handles commas and parentheses inside the condition', () => {
    expect(
      applyConditionalAll(
        "$__conditionalAll(if(a != '', a, b) IN ($one), $one) AND $__conditionalAll(c, $service)",
        ctx().variables,
      ),
    ).toBe("if(a != '', a, b) IN ($one) AND 1=1");
  });
});

describe('template variables (templateSrv.replace with the plugin format)', () => {
  it('quotes multi-value and "All" selections, escaping quotes with :singlequote', () => {
    expect(replaceVariables('${model:singlequote}', ctx())).toBe("'m1','m2'");
    expect(replaceVariables('${service:singlequote}', ctx())).toBe("'a','b','o\\'neil'");
    expect(replaceVariables('${service:sqlstring}', ctx())).toBe("'a','b','o''neil'");
    expect(replaceVariables('${one:singlequote}', ctx())).toBe("'x'");
  });

  it("uses the plugin's default format: arrays quoted, single values raw", () => {
    expect(replaceVariables('$model', ctx())).toBe("'m1','m2'");
    expect(replaceVariables('$one', ctx())).toBe('x');
    expect(replaceVariables('[[one]] ${one:csv} ${model:csv}', ctx())).toBe('x x m1,m2');
  });

  it('leaves macros and unknown names alone, fills built-ins', () => {
    expect(replaceVariables('$__timeFilter(t) $unknown $__interval_ms $__interval', ctx())).toBe(
      '$__timeFilter(t) $unknown 30000 30s',
    );
  });
});

describe('the whole pipeline', () => {
  it('turns a dashboard filter into the SQL ClickHouse receives', () => {
    const sql =
      'SELECT count() FROM t WHERE $__timeFilter(ts) AND $__conditionalAll(s IN (${service:singlequote}), $service) AND $__conditionalAll(m IN (${model:singlequote}), $model)';
    expect(expand(sql, ctx())).toBe(
      "SELECT count() FROM t WHERE ts >= toDateTime(1415792726) AND ts <= toDateTime(1447328726) AND 1=1 AND m IN ('m1','m2')",
    );
  });
});
