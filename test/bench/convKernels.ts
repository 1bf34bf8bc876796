/**
 * Times the wasm conv kernels of the peer U-Net's layers (test/bench/peerDesign.ts): Conv2D as
 * tfjs-backend-wasm runs it (XNNPACK) and as Strata runs it (the direct SIMD loop where it
 * applies, see src-main/training/wasm/conv2d.ts), and Strata's Conv2DBackpropInput and
 * Conv2DBackpropFilter. Median (and best) of repeated, interleaved runs, with GFLOP/s of the
 * median. A script, not a test:
 *
 *   npx tsx test/bench/convKernels.ts [batch=32] [reps=7]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src-main/training/backend';

/** [size, inC, outC, kernel, stride] of the peer U-Net's convs (3x3, 'same'). */
const LAYERS: [number, number, number, number, number][] = [
  [101, 16, 16, 3, 1],
  [51, 32, 32, 3, 1],
  [26, 64, 64, 3, 1],
  [13, 128, 128, 3, 1],
  [101, 16, 32, 3, 2],
  [51, 32, 64, 3, 2],
  [26, 64, 128, 3, 2],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

async function main(): Promise<void> {
  const batch = Number(process.argv[2] ?? 32);
  const reps = Number(process.argv[3] ?? 7);
  // tfjs-backend-wasm's own Conv2D, captured before selectBackend wraps it.
  await import('@tensorflow/tfjs-backend-wasm');
  const stock: KernelConfig | undefined = tf.getKernel(tf.Conv2D, 'wasm');
  const report = await selectBackend({ force: 'wasm' });
  if (stock === undefined) throw new Error('Conv2D is not registered on wasm');
  const backend = tf.backend();
  console.log(`wasm (${report.detail}), batch ${batch}; ms median/best, GFLOP/s of the median`);
  console.log('layer                          Conv2D XNNPACK        Conv2D Strata         BackpropInput         BackpropFilter');
  for (const [size, ci, co, k, s] of LAYERS) {
    const x = tf.randomUniform([batch, size, size, ci]);
    const w = tf.randomUniform([k, k, ci, co]);
    const info = tf.backend_util.computeConv2DInfo([batch, size, size, ci], [k, k, ci, co], s, 1, 'same');
    const dy = tf.randomUniform([batch, info.outHeight, info.outWidth, co]);
    const convAttrs: NamedAttrMap = { strides: s, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
    const runs: Record<string, () => TensorInfo> = {
      xnn: () => stock.kernelFunc({ inputs: { x, filter: w }, backend, attrs: convAttrs }) as TensorInfo,
      conv: () => tf.engine().runKernel(tf.Conv2D, { x, filter: w }, convAttrs) as TensorInfo,
      input: () =>
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: [batch, size, size, ci] }) as TensorInfo,
      filter: () =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, ci, co] }) as TensorInfo,
    };
    const times: Record<string, number[]> = { xnn: [], conv: [], input: [], filter: [] };
    for (let r = 0; r < reps; r++) {
      for (const [name, run] of Object.entries(runs)) {
        const t0 = performance.now();
        const out = run();
        times[name]?.push(performance.now() - t0);
        backend.disposeData(out.dataId);
      }
    }
    const gflop = (2 * batch * info.outHeight * info.outWidth * co * k * k * ci) / 1e9;
    const m = (name: string) => {
      const t = times[name] ?? [];
      return `${median(t).toFixed(1).padStart(6)}/${Math.min(...t).toFixed(1).padStart(5)} ${(gflop / (median(t) / 1000)).toFixed(0).padStart(4)}`;
    };
    const label = `${batch}x${size}x${size}x${ci} -> ${co}, ${k}x${k}/${s}`.padEnd(30);
    console.log(`${label} ${m('xnn')}      ${m('conv')}      ${m('input')}      ${m('filter')}`);
    tf.dispose([x, w, dy]);
  }
}

await main();
