/**
 * Writes tiny ONNX graphs for the tests of the ONNX-backed scorers, so they run
 * a real onnxruntime session on a model whose output can be worked out by hand.
 */
import { createRequire } from 'node:module';

// protobufjs is a collector dependency; the tests borrow it to write ONNX bytes.
const protobuf = createRequire(new URL('../../../collector/package.json', import.meta.url))('protobufjs') as {
  Root: { fromJSON(json: object): { lookupType(name: string): ProtoType } };
};
interface ProtoType {
  fromObject(o: object): unknown;
  encode(m: unknown): { finish(): Uint8Array };
}

/** The part of onnx.proto these graphs need (field numbers from the ONNX spec). */
const onnxSchema = {
  nested: {
    ModelProto: {
      fields: {
        irVersion: { type: 'int64', id: 1 },
        opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
        producerName: { type: 'string', id: 2 },
        graph: { type: 'GraphProto', id: 7 },
      },
    },
    OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
    GraphProto: {
      fields: {
        node: { rule: 'repeated', type: 'NodeProto', id: 1 },
        name: { type: 'string', id: 2 },
        initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
        input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
        output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
      },
    },
    NodeProto: {
      fields: {
        input: { rule: 'repeated', type: 'string', id: 1 },
        output: { rule: 'repeated', type: 'string', id: 2 },
        name: { type: 'string', id: 3 },
        opType: { type: 'string', id: 4 },
      },
    },
    TensorProto: {
      fields: {
        dims: { rule: 'repeated', type: 'int64', id: 1 },
        dataType: { type: 'int32', id: 2 },
        floatData: { rule: 'repeated', type: 'float', id: 4, options: { packed: true } },
        name: { type: 'string', id: 8 },
      },
    },
    ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
    TypeProto: { fields: { tensorType: { type: 'TypeProtoTensor', id: 1 } } },
    TypeProtoTensor: {
      fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
    },
    TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
    Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
  },
};

/** ONNX TensorProto.DataType codes. */
export const FLOAT = 1;
export const INT64 = 7;

export interface TinyGraph {
  name: string;
  nodes: { opType: string; input: string[]; output: string[]; name: string }[];
  /** Float constants. */
  initializers: { name: string; dims: number[]; floatData: number[] }[];
  /** A string dimension is symbolic (any size), a number fixed. */
  inputs: { name: string; elemType: number; dims: (number | string)[] }[];
  outputs: { name: string; elemType: number; dims: (number | string)[] }[];
}

const valueInfo = (v: TinyGraph['inputs'][number]) => ({
  name: v.name,
  type: {
    tensorType: {
      elemType: v.elemType,
      shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/** The bytes of an opset-13 model holding `graph`. */
export function encodeModel(graph: TinyGraph): Uint8Array {
  const Model = protobuf.Root.fromJSON(onnxSchema).lookupType('ModelProto');
  const model = {
    irVersion: 8,
    producerName: 'oversight-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: graph.name,
      node: graph.nodes,
      initializer: graph.initializers.map((t) => ({ ...t, dataType: FLOAT })),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
  return Model.encode(Model.fromObject(model)).finish();
}

/** onnxruntime-node is optional (installs may skip its binary); its tests skip without it. */
export function ortInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('onnxruntime-node');
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return false;
    throw err;
  }
}
