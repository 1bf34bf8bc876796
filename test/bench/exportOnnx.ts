/**
 * `npx tsx test/bench/exportOnnx.ts [--presets small,keel,fig2] [--images 200] [--repeats 3]`: the
 * ONNX export measured. Per preset, with BN as BatchNormalization nodes and folded into the convs:
 * the export time (lowering and encoding), the file size, the max abs error of ONNX Runtime against
 * Strata's wasm inference (UNetModel.predict), and the inference time of both on the 200 TGS test
 * images at batch 32 and batch 1 (median of --repeats, the three interleaved, after an untimed run each). The model's BNs are calibrated on the images
 * (their moving statistics those of a training pass), so every BN does something. A script, not a
 * test: it prints a table and asserts nothing.
 */
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { getPreset } from '../../shared/arch';
import { lowerToOnnx, type BnLowering } from '../../shared/export/onnxGraph';
import { renderInputs } from '../../src-main/data/batches';
import { importTgsFolder } from '../../src-main/data/tgsImport';
import { encodeOnnxModel } from '../../src-main/export/onnxModel';
import { selectBackend } from '../../src-main/training/backend';
import { TGS_NORM, maxAbsDiff, toNchw, trainedLikeModel } from '../export/exportHelpers';
import { TGS_DIR } from '../helpers/paths';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
};
const presets = opt('presets', 'small,keel').split(',');
const wanted = Number(opt('images', '200'));
const repeats = Number(opt('repeats', '3'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const backend = await selectBackend({ force: 'wasm' });
const ds = await importTgsFolder(path.join(TGS_DIR, 'test'));
const n = Math.min(wanted, ds.ids.length);
process.stderr.write(`exportOnnx: ${n} TGS test images, Strata on ${backend.name} (${backend.detail}), ONNX Runtime ${ort.env.versions.node} cpu, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}\n`);

for (const name of presets) {
  const arch = getPreset(name);
  if (!arch) throw new Error(`no preset ${name}`);
  const input = arch.nodes.find((x) => x.kind === 'input');
  const c = input?.kind === 'input' ? input.channels : 1;
  const all = renderInputs(ds, ds.ids.slice(0, n).map((_, i) => i), c === 3 ? 3 : 1, TGS_NORM);
  const px = ds.height * ds.width * c;
  const batchOf = (start: number, size: number) => all.subarray(start * px, (start + size) * px);
  const calib = tf.tensor4d(batchOf(0, 8), [8, ds.height, ds.width, c]);
  const { model, weights } = await trainedLikeModel(arch, 1, calib);
  calib.dispose();

  const predictStrata = async (batch: number, count: number): Promise<Float32Array> => {
    const out = new Float32Array(count * ds.height * ds.width);
    for (let s = 0; s < count; s += batch) {
      const k = Math.min(batch, count - s);
      const p = tf.tidy(() => model.predict(tf.tensor4d(batchOf(s, k), [k, ds.height, ds.width, c])));
      out.set((await p.data()) as Float32Array, s * ds.height * ds.width);
      p.dispose();
    }
    return out;
  };
  const nchw = toNchw(all, n, ds.height, ds.width, c);
  const runners: { label: string; exportMs?: number; bytes?: number; run: (batch: number, count: number) => Promise<Float32Array>; release?: () => Promise<void> }[] = [
    { label: 'Strata', run: predictStrata },
  ];
  for (const bn of ['nodes', 'fold'] as BnLowering[]) {
    const t0 = performance.now();
    const bytes = encodeOnnxModel(lowerToOnnx(arch, weights, { bn }), { producerVersion: 'bench', doc: '', metadata: {} });
    const exportMs = performance.now() - t0;
    const session = await ort.InferenceSession.create(bytes);
    runners.push({
      label: `ORT bn=${bn}`,
      exportMs,
      bytes: bytes.length,
      release: () => session.release(),
      run: async (batch, count) => {
        const out = new Float32Array(count * ds.height * ds.width);
        for (let s = 0; s < count; s += batch) {
          const k = Math.min(batch, count - s);
          const r = await session.run({ input: new ort.Tensor('float32', nchw.subarray(s * px, (s + k) * px), [k, c, ds.height, ds.width]) });
          out.set(r.mask?.data as Float32Array, s * ds.height * ds.width);
        }
        return out;
      },
    });
  }
  // Interleaved, so a change in the machine's load falls on every runner alike; one untimed run each first.
  const results = new Map<string, { ms32: number[]; ms1: number[]; probs: Float32Array }>();
  for (const r of runners) results.set(r.label, { ms32: [], ms1: [], probs: await r.run(32, n) });
  const one = Math.min(32, n);
  for (let rep = 0; rep < repeats; rep++) {
    for (const r of rep % 2 === 0 ? runners : [...runners].reverse()) {
      const res = results.get(r.label);
      if (!res) continue;
      let t0 = performance.now();
      await r.run(32, n);
      res.ms32.push(performance.now() - t0);
      t0 = performance.now();
      await r.run(1, one);
      res.ms1.push(performance.now() - t0);
    }
  }
  const strata = results.get('Strata');
  for (const r of runners) {
    const res = results.get(r.label);
    if (!res || !strata) continue;
    const extra = r.exportMs === undefined ? '' : `, export ${r.exportMs.toFixed(0)} ms, ${((r.bytes ?? 0) / 2 ** 20).toFixed(2)} MiB, max abs err vs Strata ${maxAbsDiff(res.probs, strata.probs).toExponential(2)}`;
    process.stdout.write(
      `${name.padEnd(8)} ${r.label.padEnd(13)} batch 32: ${(median(res.ms32) / n).toFixed(1)} ms/img (${((1000 * n) / median(res.ms32)).toFixed(1)} img/s), batch 1: ${(median(res.ms1) / one).toFixed(1)} ms/img${extra}\n`,
    );
    await r.release?.();
  }
  model.dispose();
}
