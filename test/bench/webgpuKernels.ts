/**
 * Times Strata's webgpu kernels (src-main/training/webgpuKernels.ts) against tfjs-backend-webgpu's
 * own on layers of the keel preset (3x3 'same' convs, stride-2 samplers, transposed convs), forcing
 * the webgpu backend: median wall time of interleaved runs, each ending in a read of the result.
 * On SwiftShader (the tests' software Vulkan driver) these are CPU figures, not GPU figures. A
 * script, not a test; on a machine without a GPU, name SwiftShader first:
 *
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json LD_LIBRARY_PATH=/usr/lib/chromium \
 *     npx tsx test/bench/webgpuKernels.ts [batch=2] [reps=5] [scale=0.5]
 *
 * `scale` shrinks the images (0.5: 101 -> 51), as SwiftShader is slow. There Strata's tiled kernels
 * lose to tfjs's (SwiftShader runs workgroup barriers as fibers on the CPU), and so does the whole
 * tiny-preset step of webgpu.test.ts: 2.1-3.1 s against 1.3-2.0 s after the first, whose shader
 * compiles take 9-10 s against 4.7 s (back to back on the loaded 2-core machine). Only a GPU can say
 * what they are worth.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src-main/training/backend';
import { strataDispatchCounts, strataWebgpuKernels, useStrataWebgpuKernels } from '../../src-main/training/webgpuKernels';

/** [label, size, inC, outC, stride] of keel's layers: 3x3 convs, the stride-2 samplers, the transposed convs. */
const LAYERS: [string, number, number, number, number][] = [
  ['e0 conv', 101, 8, 8, 1],
  ['e1 conv', 51, 16, 16, 1],
  ['bottom conv', 13, 64, 64, 1],
  ['down0 strided', 101, 8, 16, 2],
  ['down2 strided', 26, 32, 64, 2],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
const rand = (shape: number[], seed: number) => tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape, 'float32');

/** The ms one call of `op` takes, to the end of a read of its result. */
async function time(op: () => tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const y = op();
  await y.data();
  const ms = performance.now() - t0;
  y.dispose();
  return ms;
}

async function main(): Promise<void> {
  const batch = Number(process.argv[2] ?? 2);
  const reps = Number(process.argv[3] ?? 5);
  const scale = Number(process.argv[4] ?? 0.5);
  const report = await selectBackend({ force: 'webgpu' });
  if (report.name !== 'webgpu') throw new Error(`no webgpu backend: ${JSON.stringify(report.skipped)}`);
  console.log(`webgpu on ${report.detail}, batch ${batch}, images x${scale}; Strata's kernels: ${strataWebgpuKernels().join(', ')}`);
  console.log('ms, median of', reps, '(tfjs / Strata)');
  for (const [label, fullSize, cin, cout, stride] of LAYERS) {
    const size = Math.max(3, Math.round(fullSize * scale));
    const x = rand([batch, size, size, cin], 1) as tf.Tensor4D;
    const f = tf.mul(rand([3, 3, cin, cout], 2), 0.3) as tf.Tensor4D;
    const bias = rand([cout], 3) as tf.Tensor1D;
    const y = tf.conv2d(x, f, stride, 'same');
    const dy = rand(y.shape, 4) as tf.Tensor4D;
    const ops: Record<string, () => tf.Tensor> = {
      FusedConv2D: () => tf.fused.conv2d({ x, filter: f, strides: stride, pad: 'same', bias }),
      Conv2DBackpropInput: () => tf.conv2dTranspose(dy, f, x.shape, stride, 'same'),
      Conv2DBackpropFilter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape: f.shape }) as tf.Tensor,
      'bias gradient (Sum)': () => tf.sum(dy, [0, 1, 2]),
    };
    const cells: string[] = [];
    for (const [name, op] of Object.entries(ops)) {
      const times: Record<'tfjs' | 'strata', number[]> = { tfjs: [], strata: [] };
      for (let r = 0; r <= reps; r++) {
        for (const which of ['tfjs', 'strata'] as const) {
          useStrataWebgpuKernels(which === 'strata');
          const ms = await time(op);
          // The first of each compiles its shaders.
          if (r > 0) times[which].push(ms);
        }
      }
      cells.push(`${name} ${median(times.tfjs).toFixed(1)} / ${median(times.strata).toFixed(1)}`);
    }
    console.log(`${label} ${batch}x${size}x${size}x${cin} -> ${cout} s${stride}: ${cells.join('; ')}`);
    tf.dispose([x, f, bias, y, dy]);
  }
  useStrataWebgpuKernels(true);
  console.log('Strata dispatches:', JSON.stringify(strataDispatchCounts()));
}

await main();
