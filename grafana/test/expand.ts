/**
 * What Grafana and the ClickHouse plugin (4.20) do to a panel's rawSql before
 * ClickHouse sees it, in their order:
 *
 * 1. the plugin's frontend `applyConditionalAll`: `$__conditionalAll(cond, $var)`
 *    becomes `1=1` when the variable is "All" or empty, else `cond`;
 * 2. Grafana's `templateSrv.replace` with the plugin's format function
 *    (arrays → `'a','b'`, a single value as is) unless the reference names a
 *    format (`${var:singlequote}`, `:csv`, `:raw`, `:sqlstring`); "All" without a
 *    custom all value expands to every option;
 * 3. the plugin's backend macros (pkg/macros/macros.go): `$__timeFilter`,
 *    `$__timeFilter_ms`, `$__dateFilter`, `$__dateTimeFilter` / `$__dt`,
 *    `$__fromTime(_ms)`, `$__toTime(_ms)`, `$__timeInterval(_ms)`, `$__interval_s`.
 *
 * Re-implemented from the plugin's source so tests can run every panel on chdb;
 * the tests pin its behaviour with the plugin's own examples.
 */

export interface Variable {
  name: string;
  /** Every option the variable offers (what "All" expands to). */
  options: string[];
  /** The selection: `'$__all'`, one value, or several. */
  current: string | string[];
  /** A custom all value (`allValue`); unset, "All" lists every option. */
  allValue?: string;
}

export interface QueryContext {
  from: Date;
  to: Date;
  /** Grafana's `$__interval` for the panel, in milliseconds. */
  intervalMs: number;
  variables: Variable[];
}

const ALL = '$__all';

function isAll(v: Variable): boolean {
  return v.current === ALL || (Array.isArray(v.current) && v.current.length === 1 && v.current[0] === ALL);
}

/** The plugin's getMacroArgs: top-level comma split of the text inside the parentheses at `open`. */
export function macroArgs(query: string, open: number): string[] | null {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < query.length; i++) {
    const c = query[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 1) {
      args.push(query.slice(start, i));
      start = i + 1;
    }
    if (depth === 0) {
      args.push(query.slice(start, i));
      return args;
    }
  }
  return null;
}

export function applyConditionalAll(rawQuery: string, variables: Variable[]): string {
  const macro = '$__conditionalAll(';
  let query = rawQuery;
  let index = query.lastIndexOf(macro);
  while (index !== -1) {
    const params = macroArgs(query, index + macro.length - 1);
    if (params?.length !== 2) return query;
    const [condition, reference] = params as unknown as [string, string];
    const name = /(?<=\$\{)\w+(?=\})|(?<=\$)\w+/.exec(reference.trim())?.[0];
    let phrase = condition;
    if (name) {
      const variable = variables.find((v) => v.name === name);
      const value = variable ? (isAll(variable) ? ALL : [variable.current].flat().join(',')) : undefined;
      if (value === '' || value === ALL) phrase = '1=1';
    }
    // String.replace with a string pattern, as the plugin does (first occurrence).
    query = query.replace(`${macro}${condition},${reference})`, () => phrase);
    index = query.lastIndexOf(macro);
  }
  return query;
}

function formatValue(value: string | string[], format: string | undefined): string {
  const values = [value].flat();
  switch (format) {
    case undefined:
      // The plugin's format(): arrays quoted and comma-joined, single values raw.
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'singlequote':
      return values.map((v) => `'${v.replaceAll("'", "\\'")}'`).join(',');
    case 'sqlstring':
      return values.map((v) => `'${v.replaceAll("'", "''")}'`).join(',');
    case 'csv':
      return values.join(',');
    case 'raw':
      return values.join(',');
    default:
      throw new Error(`variable format :${format} is not implemented by this harness`);
  }
}

/** Grafana's templateSrv.replace over `$var`, `${var}`, `${var:format}` and `[[var]]`. */
export function replaceVariables(query: string, ctx: QueryContext): string {
  const builtins: Record<string, string> = {
    __interval: `${Math.max(Math.round(ctx.intervalMs / 1000), 1)}s`,
    __interval_ms: String(ctx.intervalMs),
    __from: String(ctx.from.getTime()),
    __to: String(ctx.to.getTime()),
  };
  const pattern = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;
  return query.replace(pattern, (match, plain, bracket, bracketFormat, braced, _path, bracedFormat) => {
    const name: string = plain ?? bracket ?? braced;
    const format: string | undefined = bracketFormat ?? bracedFormat;
    if (name in builtins) return builtins[name] as string;
    const variable = ctx.variables.find((v) => v.name === name);
    if (!variable) return match;
    let value: string | string[];
    if (isAll(variable)) value = variable.allValue ?? variable.options;
    else value = variable.current;
    return formatValue(value, format);
  });
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);
const dateTime = (d: Date) => `toDateTime(${unix(d)})`;
const dateTime64 = (d: Date) => `fromUnixTimestamp64Milli(${d.getTime()})`;
const date = (d: Date) => `toDate('${d.toISOString().slice(0, 10)}')`;

type MacroFn = (args: string[], ctx: QueryContext) => string;

function oneArg(name: string, fn: (column: string, ctx: QueryContext) => string): MacroFn {
  return (args, ctx) => {
    if (args.length !== 1) throw new Error(`$__${name}: expected 1 argument, received ${args.length}`);
    return fn(args[0] as string, ctx);
  };
}

const dateTimeFilter: MacroFn = (args, ctx) => {
  if (args.length !== 2) throw new Error(`$__dateTimeFilter: expected 2 arguments, received ${args.length}`);
  const [d, t] = args as [string, string];
  return `(${d} >= ${date(ctx.from)} AND ${d} <= ${date(ctx.to)}) AND (${t} >= ${dateTime(ctx.from)} AND ${t} <= ${dateTime(ctx.to)})`;
};

const MACROS: Record<string, MacroFn> = {
  fromTime: (_a, ctx) => dateTime(ctx.from),
  toTime: (_a, ctx) => dateTime(ctx.to),
  fromTime_ms: (_a, ctx) => dateTime64(ctx.from),
  toTime_ms: (_a, ctx) => dateTime64(ctx.to),
  timeFilter: oneArg(
    'timeFilter',
    (c, ctx) => `${c} >= ${dateTime(ctx.from)} AND ${c} <= ${dateTime(ctx.to)}`,
  ),
  timeFilter_ms: oneArg(
    'timeFilter_ms',
    (c, ctx) => `${c} >= ${dateTime64(ctx.from)} AND ${c} <= ${dateTime64(ctx.to)}`,
  ),
  dateFilter: oneArg('dateFilter', (c, ctx) => `${c} >= ${date(ctx.from)} AND ${c} <= ${date(ctx.to)}`),
  dateTimeFilter,
  dt: dateTimeFilter,
  timeInterval: oneArg(
    'timeInterval',
    (c, ctx) =>
      `toStartOfInterval(toDateTime(${c}), INTERVAL ${Math.floor(Math.max(ctx.intervalMs / 1000, 1))} second)`,
  ),
  timeInterval_ms: oneArg(
    'timeInterval_ms',
    (c, ctx) =>
      `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.floor(Math.max(ctx.intervalMs, 1))} millisecond)`,
  ),
  interval_s: (_a, ctx) => String(Math.floor(Math.max(ctx.intervalMs / 1000, 1))),
};

/** sqlds' macro pass: each `$__name` (whole word), with its parenthesised arguments if any. */
export function applyMacros(query: string, ctx: QueryContext): string {
  let out = query;
  // Longest names first so `$__timeFilter_ms` is not taken for `$__timeFilter`.
  for (const name of Object.keys(MACROS).sort((a, b) => b.length - a.length)) {
    const pattern = new RegExp(`\\$__${name}(?!\\w)`, 'g');
    let match = pattern.exec(out);
    while (match) {
      const start = match.index;
      let end = start + match[0].length;
      let args: string[] = [];
      if (out[end] === '(') {
        const parsed = macroArgs(out, end);
        if (!parsed) throw new Error(`$__${name}: unbalanced parentheses`);
        args = parsed.map((a) => a.trim()).filter((a, _i, all) => !(all.length === 1 && a === ''));
        end = end + 1 + parsed.join(',').length + 1;
      }
      const replacement = (MACROS[name] as MacroFn)(args, ctx);
      out = out.slice(0, start) + replacement + out.slice(end);
      pattern.lastIndex = start + replacement.length;
      match = pattern.exec(out);
    }
  }
  const leftover = /\$__\w+/.exec(out);
  if (leftover) throw new Error(`macro ${leftover[0]} is not expanded by the plugin`);
  return out;
}

/** The SQL ClickHouse receives for a panel query. */
export function expand(rawSql: string, ctx: QueryContext): string {
  return applyMacros(replaceVariables(applyConditionalAll(rawSql, ctx.variables), ctx), ctx);
}
