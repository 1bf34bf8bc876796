/**
 * Empirical check of the micro-batch plan: trains a preset (default Figure 2) at an effective batch
 * (default 32) on wasm as the trainer would, and prints per step the time, the wasm heap and the
 * tensor count (both must stay flat). `tsx test/bench/microBatchFig2.ts [preset=fig2] [batch=32] [steps=2]`
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getPreset } from '../../shared/arch';
import { selectBackend } from '../../src-main/training/backend';
import { makeLoss } from '../../src-main/training/losses';
import { planMicroBatch, trainStep } from '../../src-main/training/microBatch';
import { UNetModel } from '../../src-main/training/model';
import { makeOptimizer } from '../../src-main/training/optimizers';
import { syntheticBatch } from './peerDesign';

const [preset = 'fig2', batchArg = '32', stepsArg = '2'] = process.argv.slice(2);
const arch = getPreset(preset);
if (arch === undefined) throw new Error(`unknown preset '${preset}'`);
const batch = Number(batchArg);
const report = await selectBackend({ force: 'wasm' });
const plan = planMicroBatch(arch, batch, { backend: report.name });
console.log(`${preset} on wasm (${report.detail}), batch ${batch}: ${plan.reason ?? 'whole batch'}; estimate ${(plan.estimatedBytes / 2 ** 20).toFixed(0)} MiB`);
const be = tf.backend();
if (!(be instanceof BackendWasm)) throw new Error('not on wasm');
const model = new UNetModel(arch, 1);
const opt = makeOptimizer({ name: 'sgd', lr: 0.01, momentum: 0.9 });
const loss = makeLoss('batch-iou');
const { h, w, c } = model.inputShape;
const { x, y } = syntheticBatch(batch, h, w, c);
for (let i = 0; i < Number(stepsArg); i++) {
  const t0 = performance.now();
  const r = await trainStep(model, opt, loss, x, y, [batch, h, w, c], plan.micro);
  const heap = (be.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length / 2 ** 20;
  console.log(`step ${i}: ${((performance.now() - t0) / 1000).toFixed(1)} s, loss ${r.loss.toFixed(4)}, iou ${r.iou.toFixed(3)}, heap ${heap.toFixed(0)} MiB, tensors ${tf.memory().numTensors}, backend data ${be.numDataIds()}`);
}
