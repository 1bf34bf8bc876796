/**
 * Measures the wasm heap a training step needs per image, to calibrate the trainer's micro-batch
 * choice: `tsx test/bench/heapPerImage.ts [preset=fig2] [b1=2] [b2=4]`. Runs two steps at b1, then
 * two at b2, and compares the heap's high-water mark with summarize()'s activation estimate.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getPreset, summarize } from '../../shared/arch';
import { selectBackend } from '../../src-main/training/backend';
import { makeLoss } from '../../src-main/training/losses';
import { UNetModel } from '../../src-main/training/model';
import { makeOptimizer } from '../../src-main/training/optimizers';
import { trainStep } from '../../src-main/training/microBatch';
import { peerArchitecture, syntheticBatch } from './peerDesign';

const [preset = 'fig2', b1 = '2', b2 = '4'] = process.argv.slice(2);
const arch = preset === 'peer' ? peerArchitecture() : getPreset(preset);
if (arch === undefined) throw new Error(`unknown preset '${preset}'`);
const s = summarize(arch, { batch: 1 });
if (!s.ok) throw new Error(`${preset} is invalid`);
await selectBackend({ force: 'wasm' });
const be = tf.backend();
if (!(be instanceof BackendWasm)) throw new Error('not on wasm');
const heap = () => (be.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;
const model = new UNetModel(arch, 1);
const opt = makeOptimizer({ name: 'sgd', lr: 0.01, momentum: 0.9 });
const loss = makeLoss('batch-iou');
const { h, w, c } = model.inputShape;
const est = s.summary.activationBytes;
console.log(`${arch.name}: activation estimate ${(est / 2 ** 20).toFixed(1)} MiB/image, params ${s.summary.params}, heap at start ${(heap() / 2 ** 20).toFixed(0)} MiB`);
const marks: [number, number][] = [];
for (const b of [Number(b1), Number(b2)]) {
  const { x, y } = syntheticBatch(b, h, w, c);
  for (let i = 0; i < 2; i++) await trainStep(model, opt, loss, x, y, [b, h, w, c]);
  marks.push([b, heap()]);
  console.log(`batch ${b}: heap ${(heap() / 2 ** 20).toFixed(0)} MiB = ${(heap() / (b * est)).toFixed(2)} x estimate; tensors ${tf.memory().numTensors}`);
}
const [[ba, ha], [bb, hb]] = marks as [[number, number], [number, number]];
console.log(`slope: ${((hb - ha) / (bb - ba) / 2 ** 20).toFixed(1)} MiB/image = ${((hb - ha) / (bb - ba) / est).toFixed(2)} x the estimate`);
