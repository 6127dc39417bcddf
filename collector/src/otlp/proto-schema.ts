/**
 * The OTLP trace messages (opentelemetry-proto `trace/v1`, `common/v1`,
 * `resource/v1`, `collector/trace/v1`) as a protobufjs JSON descriptor, written
 * from the spec's field numbers so no .proto file has to ship with the repo.
 *
 * Every proto `string` field is declared `bytes` here: the wire encoding is the
 * same, and getting the raw bytes lets the decoder detect invalid UTF-8 and
 * count it instead of silently receiving U+FFFD from protobufjs.
 */
import protobuf from 'protobufjs';

const STRING = 'bytes';

/** Exported for benchmarks that compare protobufjs versions on the same schema. */
export const otlpDescriptor = {
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: {
          fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } },
        },
        ExportTraceServiceResponse: {
          fields: { partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } },
        },
        ExportTracePartialSuccess: {
          fields: {
            rejectedSpans: { type: 'int64', id: 1 },
            errorMessage: { type: 'string', id: 2 },
          },
        },
        ResourceSpans: {
          fields: {
            resource: { type: 'Resource', id: 1 },
            scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
            schemaUrl: { type: STRING, id: 3 },
          },
        },
        ScopeSpans: {
          fields: {
            scope: { type: 'InstrumentationScope', id: 1 },
            spans: { rule: 'repeated', type: 'Span', id: 2 },
            schemaUrl: { type: STRING, id: 3 },
          },
        },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: STRING, id: 3 },
            parentSpanId: { type: 'bytes', id: 4 },
            flags: { type: 'fixed32', id: 16 },
            name: { type: STRING, id: 5 },
            kind: { type: 'int32', id: 6 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
            droppedAttributesCount: { type: 'uint32', id: 10 },
            events: { rule: 'repeated', type: 'Event', id: 11 },
            droppedEventsCount: { type: 'uint32', id: 12 },
            links: { rule: 'repeated', type: 'Link', id: 13 },
            droppedLinksCount: { type: 'uint32', id: 14 },
            status: { type: 'Status', id: 15 },
          },
        },
        Event: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            name: { type: STRING, id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        Link: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: STRING, id: 3 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 4 },
            droppedAttributesCount: { type: 'uint32', id: 5 },
            flags: { type: 'fixed32', id: 6 },
          },
        },
        Status: {
          fields: {
            message: { type: STRING, id: 2 },
            code: { type: 'int32', id: 3 },
          },
        },
        Resource: {
          fields: {
            attributes: { rule: 'repeated', type: 'KeyValue', id: 1 },
            droppedAttributesCount: { type: 'uint32', id: 2 },
          },
        },
        InstrumentationScope: {
          fields: {
            name: { type: STRING, id: 1 },
            version: { type: STRING, id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        AnyValue: {
          oneofs: {
            value: {
              oneof: [
                'stringValue',
                'boolValue',
                'intValue',
                'doubleValue',
                'arrayValue',
                'kvlistValue',
                'bytesValue',
              ],
            },
          },
          fields: {
            stringValue: { type: STRING, id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: {
          fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } },
        },
        KeyValueList: {
          fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } },
        },
        KeyValue: {
          fields: {
            key: { type: STRING, id: 1 },
            value: { type: 'AnyValue', id: 2 },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(otlpDescriptor);

export const ExportTraceServiceRequestType = root.lookupType('otlp.ExportTraceServiceRequest');
export const ExportTraceServiceResponseType = root.lookupType('otlp.ExportTraceServiceResponse');

/**
 * A few bytes on the wire (an empty KeyValue is 2) become a JS object of tens
 * of bytes, so a body within its size limit can still decode into gigabytes.
 * Every nested message decode draws from a per-request budget and the decode
 * stops when it runs out. protobufjs looks `types[i].decode` up at each call,
 * so wrapping the generated functions (after `setup()`, which would replace
 * them) reaches every nested message.
 */
export class MessageBudgetExceeded extends Error {}

let remainingMessages = Number.POSITIVE_INFINITY;
const messageTypes = Object.values((root.lookup('otlp') as protobuf.Namespace).nested ?? {}).filter(
  (type): type is protobuf.Type => type instanceof protobuf.Type,
);
for (const type of messageTypes) type.setup();
for (const type of messageTypes) {
  const generated = type.decode;
  type.decode = function budgeted(this: protobuf.Type, ...args: Parameters<protobuf.Type['decode']>) {
    if (--remainingMessages < 0) throw new MessageBudgetExceeded();
    return generated.apply(this, args);
  };
}

/** Runs a decode with at most `budget` protobuf messages; throws `MessageBudgetExceeded` past it. */
export function withMessageBudget<T>(budget: number, decode: () => T): T {
  remainingMessages = budget;
  try {
    return decode();
  } finally {
    remainingMessages = Number.POSITIVE_INFINITY;
  }
}

/** Shapes of what `decode` returns for the descriptor above (only the fields we read). */
export interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}
export type PbUint64 = LongLike | number;
export type PbBytes = Uint8Array;

export interface PbAnyValue {
  value?:
    | 'stringValue'
    | 'boolValue'
    | 'intValue'
    | 'doubleValue'
    | 'arrayValue'
    | 'kvlistValue'
    | 'bytesValue';
  stringValue?: PbBytes;
  boolValue?: boolean;
  intValue?: PbUint64;
  doubleValue?: number;
  arrayValue?: { values: PbAnyValue[] };
  kvlistValue?: { values: PbKeyValue[] };
  bytesValue?: PbBytes;
}
export interface PbKeyValue {
  key: PbBytes;
  value?: PbAnyValue | null;
}
export interface PbStatus {
  message: PbBytes;
  code: number;
}
export interface PbEvent {
  timeUnixNano: PbUint64;
  name: PbBytes;
  attributes: PbKeyValue[];
}
export interface PbLink {
  traceId: PbBytes;
  spanId: PbBytes;
  traceState: PbBytes;
  attributes: PbKeyValue[];
}
export interface PbSpan {
  traceId: PbBytes;
  spanId: PbBytes;
  traceState: PbBytes;
  parentSpanId: PbBytes;
  flags: number;
  name: PbBytes;
  kind: number;
  startTimeUnixNano: PbUint64;
  endTimeUnixNano: PbUint64;
  attributes: PbKeyValue[];
  events: PbEvent[];
  links: PbLink[];
  status?: PbStatus | null;
}
export interface PbScopeSpans {
  scope?: { name: PbBytes; version: PbBytes; attributes: PbKeyValue[] } | null;
  spans: PbSpan[];
}
export interface PbResourceSpans {
  resource?: { attributes: PbKeyValue[] } | null;
  scopeSpans: PbScopeSpans[];
}
export interface PbExportTraceServiceRequest {
  resourceSpans: PbResourceSpans[];
}
