/**
 * Profiles training steps of a U-Net on one backend: seconds per step, then per-kernel time of
 * one profiled step (optionally per kernel *and* input shapes). A script, not a test:
 *
 *   npx tsx test/bench/profileStep.ts [backend=wasm] [preset=small] [batch=16] [--channels N] [--steps N] [--threads N] [--shapes]
 *
 * `--channels N` rebuilds the preset's U-Net with N channels at the top level (e.g. 16 for the
 * note's width). Preset `peer` is the 36-conv U-Net of the PyTorch peer benchmark. `--threads N`
 * sets the wasm backend's threads (default: physical cores). Random inputs: the timings do not depend on the values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { buildUNet, getPreset, UNET_LEVELS } from '../../shared/arch';
import type { Architecture } from '../../shared/arch';
import { selectBackend } from '../../src-main/training/backend';
import type { BackendName } from '../../src-main/training/backend';
import { makeLoss } from '../../src-main/training/losses';
import { UNetModel } from '../../src-main/training/model';
import { makeOptimizer } from '../../src-main/training/optimizers';
import { trainStep } from '../../src-main/training/microBatch';
import { peerArchitecture } from './peerDesign';

const BACKENDS: readonly BackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

interface Options {
  backend: BackendName;
  preset: string;
  batch: number;
  channels: number | null;
  steps: number;
  threads: number | null;
  shapes: boolean;
}

function parseArgs(argv: string[]): Options {
  const positional: string[] = [];
  const opts: Options = { backend: 'wasm', preset: 'small', batch: 16, channels: null, steps: 3, threads: null, shapes: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--shapes') opts.shapes = true;
    else if (a === '--channels' || a === '--steps' || a === '--threads') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer, got '${argv[i] ?? ''}'`);
      if (a === '--channels') opts.channels = v;
      else if (a === '--threads') opts.threads = v;
      else opts.steps = v;
    } else positional.push(a);
  }
  const [backend, preset, batch] = positional;
  if (backend !== undefined) {
    const found = BACKENDS.find((b) => b === backend);
    if (found === undefined) throw new Error(`unknown backend '${backend}'; one of ${BACKENDS.join(', ')}`);
    opts.backend = found;
  }
  if (preset !== undefined) opts.preset = preset;
  if (batch !== undefined) {
    opts.batch = Number(batch);
    if (!Number.isInteger(opts.batch) || opts.batch < 1) throw new Error(`batch must be a positive integer, got '${batch}'`);
  }
  return opts;
}

function architecture(o: Options): Architecture {
  if (o.preset === 'peer') return peerArchitecture();
  const arch = getPreset(o.preset);
  if (arch === undefined) throw new Error(`unknown preset '${o.preset}'`);
  if (o.channels === null) return arch;
  return buildUNet({ name: `${o.preset}-c${o.channels}`, channels: o.channels, inputChannels: 1, size: 101, blocksPerLevel: UNET_LEVELS.map(() => 1) });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const report = await selectBackend({ force: o.backend, ...(o.threads === null ? {} : { wasm: { threads: o.threads } }) });
  const arch = architecture(o);
  const model = new UNetModel(arch, 1);
  const opt = makeOptimizer({ name: 'sgd', lr: 0.01, momentum: 0.9 });
  const loss = makeLoss('batch-iou');
  const inp = model.inputShape;
  const shape: [number, number, number, number] = [o.batch, inp.h, inp.w, inp.c];
  const x = new Float32Array(o.batch * inp.h * inp.w * inp.c).map(() => Math.random());
  const y = new Float32Array(o.batch * inp.h * inp.w).map(() => (Math.random() > 0.5 ? 1 : 0));
  console.log(`${report.name} (${report.detail}) · ${arch.name} · batch ${o.batch}`);

  const times: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const t0 = performance.now();
    const r = await trainStep(model, opt, loss, x, y, shape);
    times.push((performance.now() - t0) / 1000);
    counts.push(tf.memory().numTensors);
    const be = tf.backend();
    // The wasm heap never shrinks; flat across steps means no kernel leaks heap memory (e.g. XNNPACK operators).
    const heap = be instanceof BackendWasm ? `, wasm heap ${((be.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length / 2 ** 20).toFixed(0)} MiB` : '';
    console.log(`step ${i}: ${times[i]?.toFixed(2)} s, loss ${r.loss.toFixed(4)}, tensors ${tf.memory().numTensors}, backend data ${be.numDataIds()}${heap}`);
  }
  // The first step includes one-off set-up (operator creation, heap growth).
  console.log(`median step (after the first): ${median(times.slice(1)).toFixed(3)} s; tensors per step: ${counts.join(' ')}`);

  const prof = await tf.profile(async () => {
    await trainStep(model, opt, loss, x, y, shape);
  });
  const agg = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of prof.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    total += ms;
    const key = o.shapes ? `${k.name} ${k.inputShapes.map((s) => `[${(s ?? []).join(',')}]`).join(' ')}` : k.name;
    const e = agg.get(key) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    agg.set(key, e);
  }
  console.log(`profiled step: kernels ${total.toFixed(0)} ms in ${prof.kernels.length} calls`);
  for (const [k, v] of [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, o.shapes ? 40 : 16)) {
    console.log(`  ${v.ms.toFixed(1).padStart(8)} ms  ${String(v.calls).padStart(4)}x  ${k}`);
  }
  model.dispose();
  opt.dispose();
}

await main();
