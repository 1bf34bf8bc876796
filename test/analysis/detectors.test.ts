import { describe, expect, it } from 'vitest';
import { compareCosts, designCost } from '../../shared/analysis/cost';
import { PlateauDetector, WrongStepDetector } from '../../shared/analysis/detectors';
import { levelStats, weightNode } from '../../shared/analysis/levelStats';
import { getPreset, summarize } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import type { RunEvent } from '../../shared/runs/types';
import { PlateauCallback, WrongStepCallback } from '../../src-main/training/callbacks/diagnostics';
import type { BatchLogs, EpochLogs } from '../../src-main/training/loop';
import { Rng } from '../../src-main/training/random';

/** A synthetic loss curve: `level(step)` times multiplicative noise of +-`noise`. */
function curve(steps: number, level: (step: number) => number, noise: number, seed = 1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: steps }, (_, s) => level(s) * (1 + noise * (2 * rng.uniform() - 1)));
}

describe('plateau detector', () => {
  it('fires once, at batch K, on a flat noisy start', () => {
    const d = new PlateauDetector();
    const found = curve(150, () => 0.8, 0.15).map((l) => d.observe(l));
    expect(found.slice(0, 99).every((f) => f === null)).toBe(true);
    expect(found[99]).toMatchObject({ kind: 'plateau', batches: 100 });
    expect(Math.abs(found[99]?.relativeChange ?? 1)).toBeLessThan(0.02);
    expect(found.slice(100).every((f) => f === null)).toBe(true);
  });

  it('stays quiet on a learning start and on a rising one', () => {
    const learning = new PlateauDetector();
    expect(curve(100, (s) => 0.8 * Math.exp(-s / 200), 0.15).map((l) => learning.observe(l)).some((f) => f)).toBe(false);
    const rising = new PlateauDetector();
    expect(curve(100, (s) => 0.5 + s / 100, 0.05).map((l) => rising.observe(l)).some((f) => f)).toBe(false);
  });

  it('refuses settings that cannot work', () => {
    expect(() => new PlateauDetector({ batches: 10, window: 6 })).toThrow(RangeError);
    expect(() => new PlateauDetector({ minRelativeChange: -1 })).toThrow(RangeError);
  });
});

/** Feeds epochs of batches; returns the findings of each epoch end. */
function run(d: WrongStepDetector, losses: number[], perEpoch: number) {
  const findings = [];
  for (let e = 0; e * perEpoch < losses.length; e++) {
    const epoch = losses.slice(e * perEpoch, (e + 1) * perEpoch);
    epoch.forEach((loss, b) => d.observeBatch({ epoch: e, step: e * perEpoch + b, loss, lr: 0.01 }));
    findings.push(d.observeEpoch(e, epoch.reduce((a, b) => a + b, 0) / epoch.length));
  }
  return findings;
}

describe('wrong-step detector', () => {
  const perEpoch = 40;
  it('reports a jump not recovered within M = 2 epochs, with the checkpoint before it and a lower lr', () => {
    // Learning until step 130 (epoch 3), then the loss doubles and stays.
    const losses = curve(8 * perEpoch, (s) => (s < 130 ? 0.6 - s * 0.001 : 0.95), 0.1);
    const findings = run(new WrongStepDetector(), losses, perEpoch);
    const hits = findings.map((f, e) => (f ? e : -1)).filter((e) => e >= 0);
    expect(hits).toEqual([5]);
    const f = findings[5];
    expect(f).toMatchObject({ kind: 'wrong-step', epoch: 3, step: 130, resumeFromEpoch: 2 });
    expect(f?.suggestedLr).toBeCloseTo(0.001, 12);
    expect(f?.before).toBeGreaterThan(0.45);
    expect(f?.before).toBeLessThan(0.55);
  });

  it('stays quiet when the jump recovers, and on single bad batches', () => {
    const recovering = curve(8 * perEpoch, (s) => (s >= 130 && s < 150 ? 1.2 : 0.5), 0.1);
    expect(run(new WrongStepDetector(), recovering, perEpoch).some((f) => f)).toBe(false);
    const spiky = curve(8 * perEpoch, (s) => (s % 37 === 0 ? 2 : 0.5), 0.1);
    expect(run(new WrongStepDetector(), spiky, perEpoch).some((f) => f)).toBe(false);
  });
});

describe('detector callbacks', () => {
  const batch = (step: number, loss: number, epoch = 0): BatchLogs => ({ step: step + 1, epoch, batch: step, batches: 1000, loss, iou: 0, lr: 0.01, images: 32, seconds: 1 });

  it('write a plateau event into the run', () => {
    const events: Omit<RunEvent, 'time'>[] = [];
    const cb = new PlateauCallback((e) => events.push(e), { batches: 40, window: 10 });
    curve(60, () => 0.7, 0.1).forEach((l, i) => cb.onBatchEnd(batch(i, l)));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'plateau', step: 40 });
    expect(events[0]?.message).toMatch(/started on a plateau/);
  });

  it('write a wrong-step event offering the resume', () => {
    const events: Omit<RunEvent, 'time'>[] = [];
    const cb = new WrongStepCallback((e) => events.push(e), { baseline: 20, confirm: 3, epochs: 1 });
    const losses = curve(120, (s) => (s < 50 ? 0.4 : 0.9), 0.05);
    for (let e = 0; e < 4; e++) {
      const slice = losses.slice(e * 30, (e + 1) * 30);
      slice.forEach((l, b) => cb.onBatchEnd(batch(e * 30 + b, l, e)));
      const logs: EpochLogs = { epoch: e, step: (e + 1) * 30, trainLoss: slice.reduce((a, b) => a + b, 0) / 30, trainIoU: 0, lr: 0.01, imagesPerSec: 1, epochSeconds: 1 };
      cb.onEpochEnd(e, logs);
    }
    expect(events.map((e) => e.type)).toEqual(['wrong-step']);
    expect(events[0]?.data).toMatchObject({ epoch: 1, step: 50, resume: { fromEpoch: 0 } });
  });
});

describe('per-level statistics', () => {
  it('group weights by level and add squares (hand-computed)', () => {
    const levelOf = new Map([['e0', 'e0'], ['bottom', 'bottom']]);
    const rows = levelStats(
      [
        { name: 'e0/block0/conv1/kernel', weight: 9, update: 0.01, gradient: 4 },
        { name: 'e0/block1/conv2/kernel', weight: 16, update: 0.0044, gradient: 5 },
        { name: 'down0/strided/kernel', weight: 4, update: 0 },
      ],
      levelOf,
    );
    expect(rows.map((r) => r.level)).toEqual(['e0', 'down0']);
    expect(rows[0]?.weightNorm).toBeCloseTo(5, 12);
    expect(rows[0]?.updateNorm).toBeCloseTo(Math.sqrt(0.0144), 12);
    expect(rows[0]?.updateRatio).toBeCloseTo(0.12 / 5, 12);
    expect(rows[0]?.gradientNorm).toBeCloseTo(3, 12);
    expect(rows[1]?.gradientNorm).toBeUndefined();
    expect(weightNode('stem/conv/bias')).toBe('stem');
  });
});

describe("deep against wide: the note's cost rule", () => {
  it('Figures 2 and 3: channels^2 x depth, multiply-adds and the measured 12.5 vs 10.5 min per epoch', () => {
    const sum = (name: string) => {
      const r = summarize(getPreset(name) as Architecture);
      if (!r.ok) throw new Error(name);
      return r.summary;
    };
    const fig2 = sum('fig2');
    const fig3 = sum('fig3');
    expect(designCost(fig2)).toMatchObject({ channels: 16, convLayers: 272, noteRule: 16 * 16 * 272, macsPerImage: fig2.macsPerImage });
    const [a, b] = compareCosts([
      { summary: fig2, measured: 10.5 },
      { summary: fig3, measured: 12.5 },
    ]);
    expect(a?.noteRelative).toBe(1);
    expect(b?.noteRelative).toBeCloseTo((12 * 12 * 412) / (16 * 16 * 272), 12);
    expect(b?.macsRelative).toBeCloseTo(fig3.macsPerImage / fig2.macsPerImage, 12);
    expect(b?.measuredRelative).toBeCloseTo(12.5 / 10.5, 12);
    // The note's point: both rules predict Figure 3 cheaper, yet it trained slower.
    expect(b?.noteRelative).toBeLessThan(1);
    expect(b?.macsRelative).toBeLessThan(1);
    expect(compareCosts([])).toEqual([]);
  });
});
