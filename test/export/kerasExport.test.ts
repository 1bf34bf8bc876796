/**
 * `strata export --format keras`: the design's Keras script with the run's trained weights beside
 * it (weights.npz). numpy (Debian's, with python3-onnx) reads the file; every array the script's
 * weight table names is there with the shape it expects and the checkpoint's values, and the
 * script's own numpy-only loader gives each layer its arrays; the table's layers are layers the
 * script builds. Keras itself is not installed here, so the model is not built in Keras.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import { kerasWeightEntries } from '../../shared/arch/keras';
import type { Architecture } from '../../shared/arch/types';
import { defaultRunConfig } from '../../shared/training/config';
import { exportRun, trainedArch } from '../../src-main/export/exportRun';
import { npzChunks } from '../../src-main/export/npz';
import { RunStore } from '../../src-main/runs/store';
import { selectBackend } from '../../src-main/training/backend';
import { UNetModel } from '../../src-main/training/model';
import type { NamedArray } from '../../src-main/training/params';
import { tempDir } from '../helpers/tempDir';
import { COVERAGE_DESIGNS } from './designs';
import { pythonWithOnnx, TGS_NORM } from './exportHelpers';

const root = tempDir('keras-export');
const runsDir = path.join(root, 'runs');
let runId = '';
let evenRun = '';
let weights: NamedArray[] = [];

function createRun(store: RunStore, arch: Architecture): string {
  return store.createRun({
    name: arch.name,
    arch,
    config: { ...defaultRunConfig(), backend: 'wasm' },
    dataset: { name: 'demo', source: { kind: 'demo', seed: 1, count: 4 }, fingerprint: 'f', synthetic: true, count: 4 },
    split: { train: ['a', 'b'], val: ['c'] },
    versions: { strata: 'test', tfjs: '4.22.0', node: process.versions.node },
  }).id;
}

beforeAll(async () => {
  await selectBackend({ force: 'wasm' });
  const salt = getPreset('small-salt');
  const even = COVERAGE_DESIGNS.find((d) => d.arch.name === 'even-up')?.arch;
  if (!salt || !even) throw new Error('no design');
  const store = RunStore.open(runsDir);
  try {
    runId = createRun(store, salt);
    evenRun = createRun(store, even);
    const model = new UNetModel(trainedArch(store.get(runId)), 9);
    weights = await model.getWeights();
    model.dispose();
    store.saveCheckpoint(runId, 'best', { epoch: 4, step: 40, tensors: weights, extra: { norm: TGS_NORM } });
  } finally {
    store.close();
  }
});

/** Runs `code` in the python3 that has onnx (and so numpy), or skips with a warning. */
function python(ctx: { skip: () => void }, code: string, ...args: string[]): string | null {
  const py = pythonWithOnnx();
  if (!py) {
    console.warn('kerasExport.test.ts: no python3 with numpy and onnx (apt-get install python3-onnx): the weights file was not read with numpy');
    ctx.skip();
    return null;
  }
  const r = spawnSync(py, ['-c', code, ...args], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

const READ = `
import ast, json, sys, zipfile
import numpy as np
script, weights = sys.argv[1], sys.argv[2]
source = open(script).read()
tree = ast.parse(source)
table = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "STRATA_WEIGHTS")
loader = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "load_strata_weights")
assert zipfile.ZipFile(weights).testzip() is None
class Layer:
    def set_weights(self, values): self.values = values
class Model:
    def __init__(self): self.layers = {}
    def get_layer(self, name): return self.layers.setdefault(name, Layer())
scope = {"STRATA_WEIGHTS": table}
exec(compile(ast.Module(body=[loader], type_ignores=[]), script, "exec"), scope)
model = scope["load_strata_weights"](Model(), weights)
with np.load(weights) as a:
    print(json.dumps({
        "files": sorted(a.files),
        "table": [[layer, [[k, list(s)] for k, s in entries]] for layer, entries in table],
        "sums": {k: float(a[k].astype(np.float64).sum()) for k in a.files},
        "dtypes": sorted({str(a[k].dtype) for k in a.files}),
        "set": {name: [list(v.shape) for v in layer.values] for name, layer in model.layers.items()},
    }))
`;

describe('strata export --format keras', () => {
  it('writes the script, weights.npz and metadata.json, and numpy reads every weight the script expects', async (ctx) => {
    const out = path.join(root, 'keras');
    const store = RunStore.open(runsDir);
    const result = await exportRun(store, { runId, format: 'keras', out }).finally(() => store.close());
    expect(result.files).toEqual(['model.py', 'weights.npz', 'metadata.json']);
    const meta = JSON.parse(readFileSync(path.join(out, 'metadata.json'), 'utf8')) as Record<string, string>;
    expect(meta.input_mean).toBe(String(TGS_NORM.mean * 255));
    expect(meta.checkpoint).toBe('best (epoch 5)');
    const script = readFileSync(path.join(out, 'model.py'), 'utf8');
    expect(script).toContain('load_strata_weights(model, weights)');

    // The table's layers are the script's: a name="..." of its own, or a resnet_stack's block layer.
    const stacks = new Map([...script.matchAll(/resnet_stack\([^,]+, (\d+), \d+, "[a-z_]+", "([^"]+)"/g)].map((m) => [m[2] ?? '', Number(m[1])]));
    for (const { layer } of kerasWeightEntries(trainedArch({ arch: getPreset('small-salt') as Architecture, config: defaultRunConfig() }))) {
      const block = /^(.+)_block(\d+)_(bn1|conv1|bn2|conv2|bn_out)$/.exec(layer);
      if (block) expect(Number(block[2]), layer).toBeLessThan(stacks.get(block[1] ?? '') ?? 0);
      else expect(script, layer).toContain(`name="${layer}"`);
    }

    const stdout = python(ctx, READ, path.join(out, 'model.py'), path.join(out, 'weights.npz'));
    if (stdout === null) return;
    const r = JSON.parse(stdout) as { files: string[]; table: [string, [string, number[]][]][]; sums: Record<string, number>; dtypes: string[]; set: Record<string, number[][]> };
    const byName = new Map(weights.map((w) => [w.name, w]));
    // Every array of the checkpoint, float32, each once, with its values.
    expect(r.files).toEqual([...byName.keys()].sort());
    expect(r.dtypes).toEqual(['float32']);
    for (const [key, sum] of Object.entries(r.sums)) {
      const w = byName.get(key);
      const want = w ? w.data.reduce((a, b) => a + b, 0) : NaN;
      expect(Math.abs(sum - want), key).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
    }
    // The script's table: every layer's arrays in Keras's order with the checkpoint's shapes, and its loader set them all.
    const tableKeys = r.table.flatMap(([, entries]) => entries.map(([k]) => k));
    expect([...tableKeys].sort()).toEqual(r.files);
    for (const [layer, entries] of r.table) {
      for (const [key, shape] of entries) expect(shape, key).toEqual(byName.get(key)?.shape);
      expect(r.set[layer], layer).toEqual(entries.map(([, s]) => s));
      const parts = entries.map(([k]) => k.split('/').pop());
      expect([['kernel', 'bias'], ['gamma', 'beta', 'moving_mean', 'moving_variance']]).toContainEqual(parts);
    }
    expect(Object.keys(r.set)).toHaveLength(r.table.length);
  });

  it('refuses a design Keras cannot build, naming the node, before reading weights', async () => {
    const store = RunStore.open(runsDir);
    try {
      await expect(exportRun(store, { runId: evenRun, format: 'keras', out: path.join(root, 'even') })).rejects.toThrow(
        /^run \S+ cannot be exported as Keras: up2: Keras cannot take a 2x2 stride-2 transposed conv from 13x13 to 26x26/,
      );
      // ONNX can: there the run is refused only for having no checkpoint.
      await expect(exportRun(store, { runId: evenRun, format: 'onnx', out: path.join(root, 'even.onnx') })).rejects.toThrow(/has no best checkpoint/);
    } finally {
      store.close();
    }
  });

  it('writes .npz files numpy reads back exactly: names with slashes, 1-d and 4-d shapes', (ctx) => {
    const arrays = [
      { name: 'a/bias', shape: [3], data: Float32Array.from([1.5, -2, 3.25]) },
      { name: 'b/kernel', shape: [2, 1, 1, 2], data: Float32Array.from([0.1, 0.2, 0.3, 0.4]) },
      { name: 'c', shape: [1], data: Float32Array.from([Math.PI]) },
    ];
    const file = path.join(root, 'small.npz');
    writeFileSync(file, Buffer.concat(npzChunks(arrays)));
    const stdout = python(ctx, 'import sys, json, numpy as np\na = np.load(sys.argv[1])\nprint(json.dumps({k: [list(a[k].shape), a[k].tolist()] for k in a.files}))', file);
    if (stdout === null) return;
    const got = JSON.parse(stdout) as Record<string, [number[], unknown]>;
    expect(Object.keys(got).sort()).toEqual(['a/bias', 'b/kernel', 'c']);
    expect(got['a/bias']).toEqual([[3], [1.5, -2, 3.25]]);
    expect(got['b/kernel']?.[0]).toEqual([2, 1, 1, 2]);
    expect((got['b/kernel']?.[1] as number[][][][]).flat(3)).toEqual(Array.from(arrays[1]?.data ?? []));
    expect(got.c?.[1]).toEqual([Math.fround(Math.PI)]);
  });
});
