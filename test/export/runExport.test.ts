/**
 * `exportRun` on real runs of the presets tiny, small, small-concat and fig2 (Figure 2, 272
 * layers): a checkpoint saved through the run store, exported as ONNX and as a tfjs Layers folder;
 * ONNX Runtime and tf.loadLayersModel (over HTTP, as a browser loads it: model.json, then its
 * shards) give the outputs of the model Strata's prediction path loads from that checkpoint
 * (loadEnsemble) to 1e-4, on 32 real TGS images (fig2: 1 image, as its inference takes tens of
 * seconds on this 2-core machine; its ONNX file is still checked and loaded whole). The metadata
 * reproduces Strata's input normalisation from the PNG values, and carries the run's threshold.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import type { RunPostprocess } from '../../shared/runs/postprocess';
import { defaultRunConfig } from '../../shared/training/config';
import { renderInputs } from '../../src-main/data/batches';
import type { Dataset } from '../../src-main/data/dataset';
import { exportRun, trainedArch } from '../../src-main/export/exportRun';
import { RunStore } from '../../src-main/runs/store';
import { selectBackend } from '../../src-main/training/backend';
import { loadEnsemble } from '../../src-main/training/inference';
import { tempDir } from '../helpers/tempDir';
import { checkOnnx, maxAbsDiff, pythonWithOnnx, TGS_NORM, tgsImages, toNchw, trainedLikeModel, unsaturated } from './exportHelpers';

const root = tempDir('run-export');
const runsDir = path.join(root, 'runs');
let ds: Dataset;
let server: Server;
let baseUrl = '';
const onnxFiles: string[] = [];

/** A stored post-processing, as finalize writes it: what the metadata's threshold must come from. */
const POSTPROCESS: RunPostprocess = {
  threshold: 0.37,
  minArea: 20,
  tta: true,
  snapshots: 1,
  members: 'best',
  checkpointEpochs: [0],
  tuned: { threshold: true, minArea: true },
  valImages: 8,
  valScore: 0.6,
  valEmptyScore: null,
  valSaltScore: null,
  candidates: [{ members: 'best', checkpointEpochs: [0], threshold: 0.37, minArea: 20, valScore: 0.6 }],
  at: 0,
};

beforeAll(async () => {
  await selectBackend({ force: 'wasm' });
  ds = await tgsImages(path.join(root, 'tgs'), 32);
  // The exported folders, served as a web server serves a model to tf.loadLayersModel.
  server = createServer((req, res) => {
    try {
      const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (!file.startsWith(root) || !statSync(file).isFile()) throw new Error('not a file');
      res.end(readFileSync(file));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** A run of `arch` on the TGS images, with a best checkpoint of a model whose BNs were calibrated on `count` of them. */
async function runWithCheckpoint(store: RunStore, arch: Architecture, count: number): Promise<string> {
  const ids = ds.ids.slice(0, count);
  const run = store.createRun({
    name: arch.name,
    arch,
    config: { ...defaultRunConfig(), backend: 'wasm' },
    dataset: { name: ds.info.name, source: ds.info.source, fingerprint: ds.info.fingerprint, synthetic: false, count: ds.ids.length },
    split: { train: ids, val: ids },
    versions: { strata: 'test', tfjs: '4.22.0', node: process.versions.node },
  });
  const trained = trainedArch(run);
  const input = trained.nodes.find((n) => n.kind === 'input');
  const c = input?.kind === 'input' ? input.channels : 1;
  const x = tf.tensor4d(renderInputs(ds, ids.map((_, i) => i), c === 3 ? 3 : 1, TGS_NORM), [count, ds.height, ds.width, c]);
  const { model, weights } = await trainedLikeModel(trained, run.seed, x);
  model.dispose();
  x.dispose();
  store.saveCheckpoint(run.id, 'best', { epoch: 0, step: 1, tensors: weights, extra: { norm: TGS_NORM } });
  store.update(run.id, { postprocess: POSTPROCESS, epochsDone: 1 });
  return run.id;
}

/** fig2 is predicted on 1 image and not exported to tfjs: its inference alone takes tens of seconds here; the tfjs exporter is the same code on every design (tfjsExport.test.ts covers each node kind). */
const PRESETS = [
  { name: 'tiny', images: 32, tfjs: true },
  { name: 'small', images: 32, tfjs: true },
  { name: 'small-concat', images: 32, tfjs: true },
  { name: 'fig2', images: 1, tfjs: false },
];

describe('strata export of real runs: ONNX Runtime and tfjs reload give Strata’s predictions', () => {
  for (const preset of PRESETS) {
    it(`${preset.name}: ${preset.tfjs ? 'ONNX and tfjs Layers exports' : 'ONNX export'} of its best checkpoint`, async () => {
      const arch = getPreset(preset.name);
      if (!arch) throw new Error(`no preset ${preset.name}`);
      const store = RunStore.open(runsDir);
      try {
        const runId = await runWithCheckpoint(store, arch, preset.images);
        const onnxOut = path.join(root, `${preset.name}.onnx`);
        const onnx = await exportRun(store, { runId, format: 'onnx', out: onnxOut });
        onnxFiles.push(onnxOut);
        expect(onnx.bytes).toBe(statSync(onnxOut).size);
        expect(onnx.metadata.threshold).toBe('0.37');
        expect(onnx.metadata.min_area).toBe('20');
        if (preset.tfjs) {
          const tfjs = await exportRun(store, { runId, format: 'tfjs', out: path.join(root, `${preset.name}-tfjs`) });
          expect(tfjs.files[0]).toBe('model.json');
        }

        // Strata's prediction path: the model loadEnsemble builds from the stored checkpoint.
        const ens = await loadEnsemble(store, runId, [{ kind: 'best' }], false);
        const member = ens.members[0];
        if (!member) throw new Error('no model');
        const n = preset.images;
        const c = member.channels;
        const nhwc = renderInputs(ds, ds.ids.slice(0, n).map((_, i) => i), c, member.norm);
        const x = tf.tensor4d(nhwc, [n, ds.height, ds.width, c]);
        let want: Float32Array;
        try {
          want = (await member.model.predict(x).data()) as Float32Array;
        } finally {
          ens.dispose();
        }
        expect(unsaturated(want)).toBeGreaterThan(0.5);

        const session = await ort.InferenceSession.create(onnxOut);
        try {
          const out = await session.run({ input: new ort.Tensor('float32', toNchw(nhwc, n, ds.height, ds.width, c), [n, c, ds.height, ds.width]) });
          expect(out.mask?.dims).toEqual([n, 1, ds.height, ds.width]);
          expect(maxAbsDiff(out.mask?.data as Float32Array, want)).toBeLessThan(1e-4);
        } finally {
          await session.release();
        }

        try {
          if (!preset.tfjs) return;
          const layers = await tfl.loadLayersModel(`${baseUrl}/${preset.name}-tfjs/model.json`);
          try {
            const y = layers.predict(x) as tf.Tensor;
            expect(y.shape).toEqual([n, ds.height, ds.width, 1]);
            expect(maxAbsDiff((await y.data()) as Float32Array, want)).toBeLessThan(1e-4);
            y.dispose();
          } finally {
            layers.dispose();
          }
        } finally {
          x.dispose();
        }
      } finally {
        store.close();
      }
    });
  }

  it('puts the run’s normalisation on the 0-255 PNG values in the metadata: (png - input_mean) / input_std is Strata’s input', () => {
    const m = JSON.parse(readFileSync(path.join(root, 'tiny-tfjs', 'model.json'), 'utf8')) as { userDefinedMetadata: Record<string, string>; format: string };
    expect(m.format).toBe('layers-model');
    const meta = m.userDefinedMetadata;
    const mean = Number(meta.input_mean);
    const std = Number(meta.input_std);
    expect(mean).toBeCloseTo(TGS_NORM.mean * 255, 10);
    expect(std).toBeCloseTo(TGS_NORM.std * 255, 10);
    const strata = renderInputs(ds, [0, 1], 1, TGS_NORM);
    const fromMeta = Float32Array.from(ds.images.subarray(0, 2 * ds.height * ds.width), (v) => (v - mean) / std);
    expect(maxAbsDiff(fromMeta, strata)).toBeLessThan(1e-5);
    expect(JSON.parse(meta.design ?? '')).toMatchObject({ format: 'strata-arch', name: 'tiny' });
    expect(meta.strata_version).toBe(JSON.parse(readFileSync(path.join(process.cwd(), 'package.json'), 'utf8')).version);
    expect(meta.input_layout).toBe('NHWC');
    // The run applies flip TTA, which one exported checkpoint does not: the metadata says so.
    expect(meta.postprocess).toMatch(/flip TTA.*without the flip TTA/);
  });

  it("passes Debian's ONNX checker on every preset's file", (ctx) => {
    const python = pythonWithOnnx();
    if (!python) {
      console.warn('runExport.test.ts: no python3 with the onnx module (apt-get install python3-onnx): the ONNX checker was not run');
      ctx.skip();
      return;
    }
    expect(onnxFiles).toHaveLength(PRESETS.length);
    const r = checkOnnx(python, onnxFiles);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
