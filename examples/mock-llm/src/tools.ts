/**
 * The deterministic tool-calling rule, the same for every endpoint:
 *
 * - a forced choice (`tool_choice` naming a function, or `required`/`any`)
 *   calls that function (the first one for `required`/`any`);
 * - `none` never calls a tool;
 * - otherwise, when the last message is from the user, the first tool one of
 *   whose name words (split on `_`, `-`, `.` and camelCase, ignoring verbs
 *   like get/fetch/search) appears in the user's text is called: "What's the
 *   weather in Paris?" with a `get_weather` tool calls it;
 * - after a tool result the model answers in text.
 *
 * Arguments are built from the JSON schema: string properties named like a
 * place (location, city, place) get the capitalised word after "in", other
 * strings get the user's text, numbers 1, booleans true, enums their first
 * value. Only required properties are filled, or all when none is required.
 */

export interface ToolSpec {
  name: string;
  parameters: unknown;
}

export type ToolChoice =
  | { kind: 'auto' }
  | { kind: 'none' }
  | { kind: 'required' }
  | { kind: 'named'; name: string };

const verbs = new Set([
  'get',
  'set',
  'list',
  'fetch',
  'find',
  'lookup',
  'look',
  'up',
  'call',
  'run',
  'do',
  'make',
  'create',
  'search',
  'query',
  'the',
  'a',
  'of',
  'for',
  'to',
  'by',
]);

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.-]+/)
    .map((w) => w.toLowerCase())
    .filter((w) => w.length >= 3 && !verbs.has(w));
}

export function chooseTool(
  tools: ToolSpec[],
  choice: ToolChoice,
  lastUserText: string | null,
): ToolSpec | null {
  if (tools.length === 0 || choice.kind === 'none') return null;
  if (choice.kind === 'named') return tools.find((t) => t.name === choice.name) ?? null;
  if (choice.kind === 'required') {
    return (lastUserText !== null && matchTool(tools, lastUserText)) || tools[0] || null;
  }
  if (lastUserText === null) return null;
  return matchTool(tools, lastUserText);
}

function matchTool(tools: ToolSpec[], text: string): ToolSpec | null {
  const lower = text.toLowerCase();
  return tools.find((t) => nameWords(t.name).some((w) => lower.includes(w))) ?? null;
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  items?: JsonSchema;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function placeIn(text: string): string | null {
  return /\bin\s+([A-Z][\p{L}'-]*(?:\s+[A-Z][\p{L}'-]*)*)/u.exec(text)?.[1] ?? null;
}

function valueFor(name: string, schema: JsonSchema, text: string): unknown {
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [valueFor(name, schema.items ?? { type: 'string' }, text)];
    case 'object':
      return argumentsFor(schema, text);
    default:
      if (/location|city|place|country|region/i.test(name)) return placeIn(text) ?? text.trim();
      return text.trim();
  }
}

export function argumentsFor(parameters: unknown, text: string): Record<string, unknown> {
  if (!isRecord(parameters)) return {};
  const schema = parameters as JsonSchema;
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required =
    Array.isArray(schema.required) && schema.required.length > 0 ? schema.required : Object.keys(properties);
  const args: Record<string, unknown> = {};
  for (const key of required) {
    args[key] = valueFor(key, properties[key] ?? { type: 'string' }, text);
  }
  return args;
}
