/**
 * Strata's side of the peer benchmark, in its own process: `tsx test/bench/peerStrata.ts DESIGN.json`.
 * Builds the design's U-Net on the wasm backend with the design file's thread count and answers
 * each stdin line "step" with one training step's JSON {"sec": ...}, as peer_pytorch.py does, so
 * the bench can interleave the two. The first line printed is {"ready": true, ...}.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '../../src-main/training/backend';
import { makeLoss } from '../../src-main/training/losses';
import { UNetModel } from '../../src-main/training/model';
import { makeOptimizer } from '../../src-main/training/optimizers';
import { trainStep } from '../../src-main/training/microBatch';
import { parsePeerDesign, syntheticBatch } from './peerDesign';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: peerStrata.ts DESIGN.json');
const design = parsePeerDesign(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
const report = await selectBackend({ force: 'wasm', wasm: { threads: design.threads } });
const model = new UNetModel(design.arch, 1);
const opt = makeOptimizer({ name: 'sgd', lr: design.lr, momentum: design.momentum });
const loss = makeLoss('batch-iou');
const { h, w, c } = model.inputShape;
const { x, y } = syntheticBatch(design.batch, h, w, c);
const shape: [number, number, number, number] = [design.batch, h, w, c];

function heapMiB(): number {
  const be = tf.backend();
  return be instanceof BackendWasm ? (be.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length / 2 ** 20 : 0;
}

process.stdout.write(`${JSON.stringify({ ready: true, backend: `${report.name} · ${report.detail}`, threads: report.threads, notes: report.notes ?? [] })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = line.trim();
  if (cmd === 'quit') break;
  if (cmd !== 'step') throw new Error(`peerStrata: unknown command '${cmd}'`);
  const t0 = performance.now();
  const r = await trainStep(model, opt, loss, x, y, shape);
  const sec = (performance.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({ sec, loss: r.loss, tensors: tf.memory().numTensors, heapMiB: heapMiB() })}\n`);
}
model.dispose();
opt.dispose();
