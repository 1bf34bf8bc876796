/**
 * The tfjs Layers exporter on every node kind (test/export/designs.ts): the model saved by
 * tfjs-layers, laid out as model.json and shards, and loaded again with tf.loadLayersModel, gives
 * Strata's own inference-mode outputs (mask and salt head) on real TGS images; shards split and join
 * at 4 MiB.
 */
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src-main/data/dataset';
import { SHARD_BYTES, tfjsFolderFiles, type FolderFile } from '../../src-main/export/exportFolder';
import { selectBackend } from '../../src-main/training/backend';
import { layersArtifacts } from '../../src-main/training/export/tfjsLayers';
import { tempDir } from '../helpers/tempDir';
import { COVERAGE_DESIGNS } from './designs';
import { inputsOf, maxAbsDiff, tgsImages, trainedLikeModel, unsaturated } from './exportHelpers';

const root = tempDir('tfjs-export');
const IMAGES = 4;
let ds: Dataset;

beforeAll(async () => {
  await selectBackend({ force: 'wasm' });
  ds = await tgsImages(path.join(root, 'tgs'), IMAGES);
});

/** Loads the folder `files` as tfjs's loaders do: model.json's topology, and its manifest's shards joined in order. */
async function loadFolder(files: readonly FolderFile[]): Promise<tfl.LayersModel> {
  const byName = new Map(files.map((f) => [f.name, f.data as Uint8Array]));
  const json = JSON.parse(Buffer.from(byName.get('model.json') ?? new Uint8Array()).toString('utf8')) as tfl.io.ModelJSON;
  const group = json.weightsManifest[0];
  if (!group) throw new Error('no weights manifest');
  const shards = group.paths.map((p) => byName.get(p) ?? new Uint8Array());
  const joined = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of shards) {
    joined.set(s, at);
    at += s.length;
  }
  return tfl.loadLayersModel(tfl.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData: joined.buffer }));
}

describe('tfjs Layers export of every node kind', () => {
  for (const design of COVERAGE_DESIGNS) {
    it(`${design.name}: tf.loadLayersModel of the export gives Strata's outputs`, async () => {
      const input = design.arch.nodes.find((n) => n.kind === 'input');
      if (input?.kind !== 'input') throw new Error('no input');
      const full = inputsOf(ds, input.channels);
      const x = tf.slice(full, [0, 0, 0, 0], [IMAGES, input.height, input.width, input.channels]);
      const { model, weights } = await trainedLikeModel(design.arch, 23, x);
      try {
        const o = model.forwardAll(x, false);
        const want = (await tf.sigmoid(o.mask).data()) as Float32Array;
        const wantSalt = o.salt ? ((await tf.sigmoid(o.salt).data()) as Float32Array) : null;
        expect(unsaturated(want)).toBeGreaterThan(0.5);
        const files = tfjsFolderFiles(await layersArtifacts(design.arch, weights, { design: design.arch.name }), 'test');
        const loaded = await loadFolder(files);
        try {
          const out = loaded.predict(x);
          const [mask, salt] = Array.isArray(out) ? out : [out];
          if (!mask) throw new Error('no output');
          expect(mask.shape).toEqual(o.mask.shape);
          expect(maxAbsDiff((await mask.data()) as Float32Array, want)).toBeLessThan(1e-4);
          if (wantSalt) {
            expect(salt?.shape).toEqual([IMAGES, 1]);
            expect(maxAbsDiff((await (salt as tf.Tensor).data()) as Float32Array, wantSalt)).toBeLessThan(1e-4);
          } else expect(salt).toBeUndefined();
          tf.dispose(Array.isArray(out) ? out : [out]);
        } finally {
          loaded.dispose();
        }
        tf.dispose([o.mask, ...(o.salt ? [o.salt] : [])]);
      } finally {
        model.dispose();
        tf.dispose([full, x]);
      }
    });
  }

  it('splits the weights into 4 MiB shards that join back to them, listed in model.json in order', () => {
    const weightData = Uint8Array.from({ length: 2 * SHARD_BYTES + 123 }, (_, i) => (i * 7) % 251);
    const files = tfjsFolderFiles({ modelTopology: {}, format: 'layers-model', generatedBy: 'g', weightSpecs: [], weightData, userDefinedMetadata: { a: 'b' } }, 'c');
    expect(files.map((f) => [f.name, f.data.length])).toEqual([
      ['model.json', expect.any(Number)],
      ['group1-shard1of3.bin', SHARD_BYTES],
      ['group1-shard2of3.bin', SHARD_BYTES],
      ['group1-shard3of3.bin', 123],
    ]);
    const json = JSON.parse(Buffer.from((files[0]?.data as Uint8Array | undefined) ?? new Uint8Array()).toString('utf8')) as { weightsManifest: { paths: string[] }[]; userDefinedMetadata: unknown; convertedBy: string };
    expect(json.weightsManifest[0]?.paths).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    expect(json.userDefinedMetadata).toEqual({ a: 'b' });
    expect(json.convertedBy).toBe('c');
    expect(Buffer.concat(files.slice(1).map((f) => f.data as Uint8Array)).equals(Buffer.from(weightData))).toBe(true);
  });
});
