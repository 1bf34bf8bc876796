/**
 * Real training on the webgpu backend, on SwiftShader (test/helpers/swiftShader.ts): `strata train
 * --backend webgpu` as a user runs it, to its end (finalize and test score included), and a run whose
 * GPU device is lost after its first epoch, then resumed on wasm with `strata runs resume --backend`.
 *
 * SwiftShader runs WebGPU on the CPU at a few milliseconds a dispatch, so the design is the tiny
 * preset at 16x16 (same channels and levels) on 12 demo images written as a PNG folder, with SGD
 * (fewer dispatches a step than Adam): 2 steps an epoch, one epoch (two where the device is lost
 * after the first). Most of the time is SwiftShader compiling each shader once. No time is asserted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { getPreset, serializeArchitecture } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { defaultRunConfig } from '../../shared/training/config';
import { makeDemoDataset } from '../../src-main/data/demo';
import { loadDataSource } from '../../src-main/data/load';
import { cliSandbox, json } from '../helpers/cli';
import { swiftShaderChild, swiftShaderEnv, swiftShaderMissing } from '../helpers/swiftShader';
import { createRunOn, withStore } from '../helpers/trainerRuns';

if (swiftShaderMissing !== null) console.warn(`webgpu training on SwiftShader skipped: ${swiftShaderMissing}`);

const SIZE = 16;
const ADAPTER = /^SwiftShader driver [\d.]+ \(google swiftshader\)/;
const { tmp, runsDir, start } = cliSandbox('webgpu-train', { env: swiftShaderEnv() });
const folder = path.join(tmp, 'data');
const archFile = path.join(tmp, 'tiny16.json');

/** The tiny preset at SIZE x SIZE. */
function tinyAt(size: number): Architecture {
  const arch = getPreset('tiny') as Architecture;
  return { ...arch, name: `tiny ${size}`, nodes: arch.nodes.map((n) => (n.kind === 'input' ? { ...n, height: size, width: size } : n)) };
}

/** 12 demo images and masks at SIZE x SIZE as a folder of PNGs (images/, masks/). */
function writeFolder(): void {
  const ds = makeDemoDataset({ count: 12, size: SIZE, seed: 3 });
  const px = SIZE * SIZE;
  for (const sub of ['images', 'masks']) mkdirSync(path.join(folder, sub), { recursive: true });
  ds.ids.forEach((id, k) => {
    const png = (data: Uint8Array) => encode({ width: SIZE, height: SIZE, data, depth: 8, channels: 1 });
    writeFileSync(path.join(folder, 'images', `${id}.png`), png(ds.images.subarray(k * px, (k + 1) * px)));
    writeFileSync(path.join(folder, 'masks', `${id}.png`), png((ds.masks as Uint8Array).subarray(k * px, (k + 1) * px).map((v) => v * 255)));
  });
}

beforeAll(() => {
  writeFolder();
  writeFileSync(archFile, serializeArchitecture(tinyAt(SIZE)));
});

/** Runs webgpuTrainChild.ts on run `runId` with SwiftShader named, and parses the JSON on its last stdout line. */
function lostChild(runId: string): Promise<{ status: string; ended: { reason?: string } | null; destroyedAfterEpoch: number | null }> {
  return swiftShaderChild('test/training/webgpuTrainChild.ts', [runsDir, runId]);
}

describe.skipIf(swiftShaderMissing !== null)('training on webgpu (SwiftShader)', () => {
  it('`strata train --backend webgpu` trains to its end: the backend names the adapter, the losses are finite, the checkpoints are stored and the test split is scored', async () => {
    const t0 = performance.now();
    const train = ['train', '--arch', archFile, '--data', folder, '--backend', 'webgpu', '--epochs', '1', '--batch', '3', '--optimizer', 'sgd', '--lr', '0.05', '--val', '0.25', '--test', '0.25', '--json'];
    const r = await start(...train).done;
    console.info(`strata train on webgpu (SwiftShader): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({ status: 'done', epochsDone: 1 });
    const runId = String(out['runId']);
    withStore(runsDir, (s) => {
      const run = s.get(runId);
      expect(run.backend?.name).toBe('webgpu');
      expect(run.backend?.detail).toMatch(new RegExp(`${ADAPTER.source} · software, not a GPU$`));
      const epochs = s.epochMetrics(runId);
      expect(epochs.map((e) => e.epoch)).toEqual([0]);
      for (const e of epochs) for (const v of [e.trainLoss, e.valLoss, e.valScore]) expect(Number.isFinite(v), JSON.stringify(e)).toBe(true);
      const batches = s.batchMetrics(runId);
      expect(batches).toHaveLength(2);
      for (const b of batches) expect(Number.isFinite(b.loss), JSON.stringify(b)).toBe(true);
      expect(s.checkpointInfo(runId, 'last')?.epoch).toBe(0);
      expect(s.checkpointInfo(runId, 'best')).not.toBeNull();
      // The end of training chose the post-processing on validation and scored the held-out images, on webgpu.
      expect(run.postprocess).not.toBeNull();
      expect(run.test?.images).toBe(3);
      expect(run.test?.score).toBeGreaterThanOrEqual(0);
      expect(run.test?.score).toBeLessThanOrEqual(1);
    });
  }, 300_000);

  it('a lost GPU device ends the run as interrupted with the adapter and Dawn\'s reason, keeps its checkpoint, and the run resumes on wasm', async () => {
    const ds = await loadDataSource({ kind: 'folder', path: folder });
    const config = { ...defaultRunConfig(), epochs: 2, batch: 3, backend: 'webgpu' as const, valFraction: 0.25, optimizer: { name: 'sgd' as const, lr: 0.05, momentum: 0.9, nesterov: false } };
    const { id } = createRunOn(runsDir, ds, config, 'lost device', tinyAt(SIZE));
    const lost = await lostChild(id);
    expect(lost.destroyedAfterEpoch).toBe(0);
    expect(lost.status).toBe('interrupted');
    const reason = lost.ended?.reason ?? '';
    expect(reason).toMatch(new RegExp(`^the GPU device of ${ADAPTER.source.slice(1)} was lost \\(reason 'destroyed': device was destroyed\\); the webgpu backend cannot go on in this process$`));
    withStore(runsDir, (s) => {
      const run = s.get(id);
      expect(run).toMatchObject({ status: 'interrupted', statusReason: reason, epochsDone: 1, lastCheckpoint: { epoch: 0 } });
      expect(s.loadCheckpoint(id, 'last')?.epoch).toBe(0);
      const events = s.events(id).filter((e) => e.type === 'device-lost');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ message: reason, epoch: 0, data: { reason: 'destroyed', message: 'device was destroyed' } });
      expect(String(events[0]?.data?.['adapter'])).toMatch(ADAPTER);
    });

    const resumed = await start('runs', 'resume', id, '--backend', 'wasm', '--json').done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(json(resumed)).toMatchObject({ status: 'done', epochsDone: 2 });
    withStore(runsDir, (s) => {
      const run = s.get(id);
      expect(run.backend?.name).toBe('wasm');
      // The run asked for webgpu and keeps asking: only this session moved.
      expect(run.config.backend).toBe('webgpu');
      expect(s.epochMetrics(id).map((e) => e.epoch)).toEqual([0, 1]);
      expect(s.events(id).find((e) => e.type === 'resumed')?.message).toBe("resumed from the checkpoint of epoch 1 on wasm, not the run's webgpu");
    });
  }, 300_000);
});
