/**
 * An ONNX graph (shared/export/onnxGraph.ts) encoded as an ONNX model file, with protobufjs and
 * ONNX's own schema: onnx.proto beside this file is the official one, copied unchanged from
 * Debian's python3-onnx 1.12.0 (/usr/lib/python3/dist-packages/onnx/onnx.proto; Apache-2.0, see its
 * SPDX line). Field names are kept as the schema spells them (`ir_version`, `op_type`).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ONNX_IR_VERSION, ONNX_OPSET, type OnnxAttribute, type OnnxGraphSpec, type OnnxValueSpec } from '../../shared/export/onnxGraph';

/** The schema's path: next to this file under tsx, and copied next to the bundle by the build. */
const PROTO_PATH = fileURLToPath(new URL('./onnx.proto', import.meta.url));

/** TensorProto.DataType.FLOAT and AttributeProto.AttributeType's FLOAT, INT and INTS. */
const FLOAT = 1;
const ATTRIBUTE_TYPE = { float: 1, int: 2, ints: 7 } as const;

let modelType: protobuf.Type | null = null;

/** onnx.ModelProto, parsed from onnx.proto once. */
function modelProto(): protobuf.Type {
  if (!modelType) {
    const { root } = protobuf.parse(fs.readFileSync(PROTO_PATH, 'utf8'), { keepCase: true });
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** ONNX's raw_data: the floats as little-endian bytes, whatever the machine's order. */
function rawData(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] ?? 0, true);
  return out;
}

function attribute(a: OnnxAttribute): Record<string, unknown> {
  const base = { name: a.name, type: ATTRIBUTE_TYPE[a.type] };
  if (a.type === 'float') return { ...base, f: a.f };
  if (a.type === 'int') return { ...base, i: a.i };
  return { ...base, ints: a.ints };
}

function valueInfo(v: OnnxValueSpec): Record<string, unknown> {
  const dim = v.dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d }));
  return { name: v.name, doc_string: v.doc, type: { tensor_type: { elem_type: FLOAT, shape: { dim } } } };
}

/** What the model says about itself beside the graph. */
export interface OnnxModelInfo {
  producerVersion: string;
  doc: string;
  /** metadata_props, in this order. */
  metadata: Readonly<Record<string, string>>;
}

/** The bytes of an ONNX model (IR 8, opset 17) of `graph`. */
export function encodeOnnxModel(graph: OnnxGraphSpec, info: OnnxModelInfo): Uint8Array {
  const type = modelProto();
  const model = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'Strata',
    producer_version: info.producerVersion,
    doc_string: info.doc,
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({ name: n.name, op_type: n.opType, domain: '', input: n.inputs, output: n.outputs, attribute: n.attributes.map(attribute) })),
      initializer: graph.initializers.map((t) => ({ name: t.name, dims: t.dims, data_type: FLOAT, raw_data: rawData(t.data) })),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
    metadata_props: Object.entries(info.metadata).map(([key, value]) => ({ key, value })),
  };
  const problem = type.verify(model);
  if (problem) throw new Error(`the ONNX model does not fit onnx.proto: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/** Reads an ONNX file back as plain data (tests, and a check after writing): field names as in onnx.proto. */
export function decodeOnnxModel(bytes: Uint8Array): Record<string, unknown> {
  const type = modelProto();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as Record<string, unknown>;
}
