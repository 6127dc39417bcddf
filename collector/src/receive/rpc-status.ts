/**
 * OTLP/HTTP failure bodies. The spec: every 4xx/5xx answer carries a
 * `google.rpc.Status` in the request's own encoding (binary protobuf or the
 * protobuf JSON mapping). Clients act on the HTTP status and Retry-After only;
 * the Status is for the developer reading the exporter's log.
 */
import protobuf from 'protobufjs';
import type { OtlpFormat } from '../otlp/index.ts';

// google.rpc.Status without `details`: we send none, and an absent repeated field encodes the same.
const StatusType = protobuf.Root.fromJSON({
  nested: {
    Status: {
      fields: {
        code: { type: 'int32', id: 1 },
        message: { type: 'string', id: 2 },
      },
    },
  },
}).lookupType('Status');

/** The gRPC code closest to each HTTP status we answer with (google.rpc.Code). */
const GRPC_CODE: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  413: 3, // INVALID_ARGUMENT: the request as sent can never succeed
  415: 12, // UNIMPLEMENTED
  429: 8, // RESOURCE_EXHAUSTED
  500: 13, // INTERNAL
  503: 14, // UNAVAILABLE
};

export function grpcCodeFor(httpStatus: number): number {
  return GRPC_CODE[httpStatus] ?? 2; // UNKNOWN
}

export interface StatusBody {
  contentType: string;
  body: Uint8Array<ArrayBuffer> | string;
}

export function encodeRpcStatus(httpStatus: number, message: string, format: OtlpFormat): StatusBody {
  const code = grpcCodeFor(httpStatus);
  if (format === 'json') {
    return { contentType: 'application/json', body: JSON.stringify({ code, message }) };
  }
  const bytes = StatusType.encode(StatusType.create({ code, message })).finish();
  return { contentType: 'application/x-protobuf', body: new Uint8Array(bytes) };
}

/** For tests and tools that read a protobuf failure body back. */
export function decodeRpcStatus(bytes: Uint8Array): { code: number; message: string } {
  const decoded = StatusType.toObject(StatusType.decode(bytes), { defaults: true }) as {
    code: number;
    message: string;
  };
  return { code: decoded.code, message: decoded.message };
}
