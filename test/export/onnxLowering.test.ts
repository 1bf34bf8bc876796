/**
 * The ONNX exporter on every node kind (test/export/designs.ts): ONNX Runtime runs the encoded
 * model and gives Strata's own inference-mode outputs (UNetModel, the model every prediction path
 * builds) to 1e-4 on real TGS images, with BN folded into the convs (the default) and as
 * BatchNormalization nodes; Debian's ONNX checker passes every file.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportError, lowerToOnnx, samePads, transposedPads, type BnLowering, type OnnxGraphSpec } from '../../shared/export/onnxGraph';
import { decodeOnnxModel, encodeOnnxModel } from '../../src-main/export/onnxModel';
import type { Dataset } from '../../src-main/data/dataset';
import { selectBackend } from '../../src-main/training/backend';
import { tempDir } from '../helpers/tempDir';
import { COVERAGE_DESIGNS } from './designs';
import { checkOnnx, inputsOf, maxAbsDiff, pythonWithOnnx, tgsImages, toNchw, trainedLikeModel, unsaturated } from './exportHelpers';

const root = tempDir('onnx-lowering');
const IMAGES = 4;
let ds: Dataset;
const written: string[] = [];

beforeAll(async () => {
  await selectBackend({ force: 'wasm' });
  ds = await tgsImages(path.join(root, 'tgs'), IMAGES);
});

/** The op types of a graph, convs with their kernel size (`ConvTranspose5`). */
function opsOf(g: OnnxGraphSpec): Set<string> {
  const ops = new Set<string>();
  for (const n of g.nodes) {
    ops.add(n.opType);
    const k = n.attributes.find((a) => a.name === 'kernel_shape');
    if (k?.type === 'ints') ops.add(`${n.opType}${k.ints[0]}`);
  }
  return ops;
}

describe('TensorFlow padding in ONNX terms', () => {
  it("writes 'same' padding as TensorFlow does: the odd pixel after", () => {
    expect(samePads(101, 3, 2)).toEqual([1, 1]);
    expect(samePads(26, 3, 2)).toEqual([0, 1]);
    expect(samePads(101, 3, 1)).toEqual([1, 1]);
    expect(samePads(20, 2, 1)).toEqual([0, 1]);
    expect(samePads(10, 5, 4)).toEqual([1, 2]);
  });

  it('sizes transposed convs exactly: 13 -> 26 -> 51 -> 101 with 3x3 and 5x5 kernels, output padding for a 1x1 to an even size', () => {
    for (const k of [1, 2, 3, 5]) {
      for (const [input, target] of [[13, 26], [26, 51], [51, 101], [10, 20], [11, 21]] as const) {
        const t = transposedPads(input, target, k);
        expect(t, `${k}x${k} ${input} -> ${target}`).not.toBeNull();
        if (!t) continue;
        expect(2 * (input - 1) + t.outputPadding + k - t.pads[0] - t.pads[1]).toBe(target);
        expect(t.outputPadding).toBeLessThan(2);
      }
    }
    expect(transposedPads(10, 20, 1)).toEqual({ pads: [0, 0], outputPadding: 1 });
    // Three pixels more than a stride-2 conv can come from: no padding does it.
    expect(transposedPads(10, 23, 1)).toBeNull();
  });
});

describe('ONNX export of every node kind', () => {
  const sessions: ort.InferenceSession[] = [];
  afterAll(async () => {
    for (const s of sessions) await s.release();
  });

  for (const design of COVERAGE_DESIGNS) {
    it(`${design.name}: ONNX Runtime gives Strata's outputs to 1e-4, BN as nodes and folded`, async () => {
      const input = design.arch.nodes.find((n) => n.kind === 'input');
      if (input?.kind !== 'input') throw new Error('no input');
      const full = inputsOf(ds, input.channels);
      // Real images, cropped to the design's input where it is smaller.
      const x = tf.slice(full, [0, 0, 0, 0], [IMAGES, input.height, input.width, input.channels]);
      const { model, weights } = await trainedLikeModel(design.arch, 17, x);
      try {
        const o = model.forwardAll(x, false);
        const want = (await tf.sigmoid(o.mask).data()) as Float32Array;
        const wantSalt = o.salt ? ((await tf.sigmoid(o.salt).data()) as Float32Array) : null;
        expect(unsaturated(want)).toBeGreaterThan(0.5);
        const nchw = toNchw((await x.data()) as Float32Array, IMAGES, input.height, input.width, input.channels);
        for (const bn of ['nodes', 'fold'] as BnLowering[]) {
          const graph = lowerToOnnx(design.arch, weights, { bn });
          for (const op of design.ops) {
            // A folded graph has BatchNormalization nodes only where no conv precedes the BN.
            if (!(bn === 'fold' && op === 'BatchNormalization')) expect([...opsOf(graph)], `${bn}: ${op}`).toContain(op);
          }
          const bytes = encodeOnnxModel(graph, { producerVersion: 'test', doc: design.name, metadata: { design: design.arch.name } });
          const file = path.join(root, `${design.arch.name}-${bn}.onnx`);
          writeFileSync(file, bytes);
          written.push(file);
          const session = await ort.InferenceSession.create(bytes);
          sessions.push(session);
          const out = await session.run({ input: new ort.Tensor('float32', nchw, [IMAGES, input.channels, input.height, input.width]) });
          // The head's resolution (the odd design's strided conv halves it).
          expect(out.mask?.dims).toEqual([IMAGES, 1, o.mask.shape[1], o.mask.shape[2]]);
          // [N, 1, H, W] and [N, H, W, 1] hold one channel: the same order.
          expect(maxAbsDiff(out.mask?.data as Float32Array, want), bn).toBeLessThan(1e-4);
          if (wantSalt) {
            expect(out.salt?.dims).toEqual([IMAGES, 1]);
            expect(maxAbsDiff(out.salt?.data as Float32Array, wantSalt), `${bn} salt`).toBeLessThan(1e-4);
          } else expect(out.salt).toBeUndefined();
        }
        tf.dispose([o.mask, ...(o.salt ? [o.salt] : [])]);
      } finally {
        model.dispose();
        tf.dispose([full, x]);
      }
    });
  }

  it('folds the BNs that follow a conv by default, and keeps a BatchNormalization node for every BN as nodes', async () => {
    const design = COVERAGE_DESIGNS[1];
    if (!design) throw new Error('no design');
    const x = inputsOf(ds, 1);
    const { model, weights } = await trainedLikeModel(design.arch, 3, x);
    model.dispose();
    x.dispose();
    const bnCount = weights.filter((w) => w.name.endsWith('/gamma')).length;
    const count = (g: OnnxGraphSpec) => g.nodes.filter((n) => n.opType === 'BatchNormalization').length;
    expect(count(lowerToOnnx(design.arch, weights, { bn: 'nodes' }))).toBe(bnCount);
    // Folded: the pre-activation BN of each block (after an add) stays; bn2, the samplers' and the head's go into their convs.
    const blocks = design.arch.nodes.reduce((n, node) => n + (node.kind === 'resnet' ? node.blocks : 0), 0);
    expect(count(lowerToOnnx(design.arch, weights))).toBe(blocks);
  });

  it('refuses a checkpoint that does not fit the design, naming the weight', async () => {
    const design = COVERAGE_DESIGNS[0];
    if (!design) throw new Error('no design');
    const x = inputsOf(ds, 1, undefined, 1);
    const { model, weights } = await trainedLikeModel(design.arch, 3, x);
    model.dispose();
    x.dispose();
    const lacking = weights.filter((w) => w.name !== 'head/bn/gamma');
    expect(() => lowerToOnnx(design.arch, lacking)).toThrow(ExportError);
    expect(() => lowerToOnnx(design.arch, lacking)).toThrow(/head\/bn\/gamma/);
  });

  it('writes what onnx.proto says: IR 8, opset 17, the graph and the metadata read back', async () => {
    const design = COVERAGE_DESIGNS[3];
    if (!design) throw new Error('no design');
    const x = inputsOf(ds, 1, undefined, 1);
    const { model, weights } = await trainedLikeModel(design.arch, 3, x);
    model.dispose();
    x.dispose();
    const graph = lowerToOnnx(design.arch, weights);
    const m = decodeOnnxModel(encodeOnnxModel(graph, { producerVersion: '9.9', doc: 'd', metadata: { threshold: '0.42', input_mean: '120' } })) as {
      ir_version: number;
      opset_import: { version: number }[];
      producer_name: string;
      graph: { node: unknown[]; input: { name: string; type: { tensor_type: { shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[]; output: { name: string }[] };
      metadata_props: { key: string; value: string }[];
    };
    expect(m.ir_version).toBe(8);
    expect(m.opset_import.map((o) => o.version)).toEqual([17]);
    expect(m.producer_name).toBe('Strata');
    expect(m.graph.node).toHaveLength(graph.nodes.length);
    expect(m.graph.input[0]?.type.tensor_type.shape.dim).toEqual([{ dim_param: 'N' }, { dim_value: 1 }, { dim_value: 101 }, { dim_value: 101 }]);
    expect(m.graph.output.map((o) => o.name)).toEqual(['mask', 'salt']);
    expect(m.metadata_props).toEqual([
      { key: 'threshold', value: '0.42' },
      { key: 'input_mean', value: '120' },
    ]);
  });

  it("passes Debian's ONNX checker (onnx.checker.check_model, full check), every file", (ctx) => {
    const python = pythonWithOnnx();
    if (!python) {
      console.warn('onnxLowering.test.ts: no python3 with the onnx module (apt-get install python3-onnx): the ONNX checker was not run');
      ctx.skip();
      return;
    }
    expect(written.length).toBe(2 * COVERAGE_DESIGNS.length);
    const r = checkOnnx(python, written);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(written.length);
  });
});
