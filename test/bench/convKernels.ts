/**
 * Times the wasm conv kernels of a U-Net layer against the forward conv of the same layer:
 * Conv2D, Conv2DBackpropInput (this repo's and tfjs-backend-wasm's own) and Conv2DBackpropFilter.
 * Median (and best) of repeated, interleaved runs, since the machine is shared. A script, not a test:
 *
 *   npx tsx test/bench/convKernels.ts [batch=16] [reps=7]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src-main/training/backend';

/** [size, inC, outC, kernel, stride] of the layers of the `small` U-Net (and their transposed twins). */
const LAYERS: [number, number, number, number, number][] = [
  [101, 8, 8, 3, 1],
  [51, 16, 16, 3, 1],
  [26, 32, 32, 3, 1],
  [13, 64, 64, 3, 1],
  [101, 8, 16, 3, 2],
  [51, 16, 32, 3, 2],
  [26, 32, 64, 3, 2],
  [101, 1, 8, 3, 1],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

async function main(): Promise<void> {
  const batch = Number(process.argv[2] ?? 16);
  const reps = Number(process.argv[3] ?? 7);
  // tfjs-backend-wasm's own kernel, captured before selectBackend replaces it.
  await import('@tensorflow/tfjs-backend-wasm');
  const stock: KernelConfig | undefined = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  await selectBackend({ force: 'wasm' });
  const ours = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (stock === undefined || ours === undefined) throw new Error('Conv2DBackpropInput is not registered on wasm');
  const backend = tf.backend();
  // Its cwrap set-up ran only if it was registered when the backend started; run it again.
  stock.setupFunc?.(backend);

  console.log('layer [ms, median/best]        Conv2D        BackpropInput (stock)       BackpropFilter');
  for (const [size, ci, co, k, s] of LAYERS) {
    const x = tf.randomUniform([batch, size, size, ci]);
    const w = tf.randomUniform([k, k, ci, co]);
    const info = tf.backend_util.computeConv2DInfo([batch, size, size, ci], [k, k, ci, co], s, 1, 'same');
    const dy = tf.randomUniform([batch, info.outHeight, info.outWidth, co]);
    const inputAttrs: NamedAttrMap = { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: [batch, size, size, ci] };
    const runs: Record<string, () => TensorInfo> = {
      conv: () => tf.engine().runKernel(tf.Conv2D, { x, filter: w }, { strides: s, pad: 'same', dataFormat: 'NHWC', dilations: 1 }) as TensorInfo,
      input: () => ours.kernelFunc({ inputs: { dy, filter: w }, backend, attrs: inputAttrs }) as TensorInfo,
      stock: () => stock.kernelFunc({ inputs: { dy, filter: w }, backend, attrs: inputAttrs }) as TensorInfo,
      filter: () =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, ci, co] }) as TensorInfo,
    };
    const times: Record<string, number[]> = { conv: [], input: [], stock: [], filter: [] };
    for (let r = 0; r < reps; r++) {
      for (const [name, run] of Object.entries(runs)) {
        if (name === 'stock' && r >= 3) continue; // slow and only a reference
        const t0 = performance.now();
        const out = run();
        times[name]?.push(performance.now() - t0);
        backend.disposeData(out.dataId);
      }
    }
    const m = (name: string) => {
      const t = times[name] ?? [];
      return `${median(t).toFixed(1).padStart(6)}/${Math.min(...t).toFixed(1).padStart(5)}`;
    };
    const label = `${batch}x${size}x${size}x${ci} -> ${co}, ${k}x${k}/${s}`.padEnd(30);
    console.log(`${label} ${m('conv')}  ${m('input')} (${m('stock')})        ${m('filter')}`);
    tf.dispose([x, w, dy]);
  }
}

await main();
