/**
 * The store reads a run's configuration with the one run request schema (shared/runs/request.ts)
 * after a migration of rows written by older versions, which a looser reader used to accept. Rows
 * written before the measured recipe became the default keep what they trained with.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mixSeed, mulberry32 } from '../../shared/data/random';
import { defaultRunConfig } from '../../shared/runs/request';
import type { RunConfig } from '../../shared/runs/types';
import { NO_AUGMENT, planAugment } from '../../src-main/data/augment';
import { migrateStoredConfig, parseJson, runConfigSchema } from '../../src-main/runs/parse';
import { RunStoreCorruptError } from '../../src-main/runs/errors';
import { openDatabase } from '../../src-main/runs/sqlite';
import { RunStore } from '../../src-main/runs/store';
import { scratchDir } from './helpers';
import { sampleInit } from './sample';

/** A configuration as the loose reader's era stored it: no augment jitter, no backend, a key no longer known, 0-based prediction epochs, step every 0. */
const LOOSE_ROW = {
  epochs: 6,
  batch: 4,
  optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, decay: 0 },
  schedule: { kind: 'step', every: 0, factor: 0.5 },
  loss: { name: 'per-image-iou', eps: 0.62 },
  init: 'he_normal',
  bnPlacement: 'blocks',
  seed: 7,
  valFraction: 0.25,
  augment: { hflip: true, vflip: true },
  predictEpochs: [0, 2, 4],
  note: 'written by an older Strata',
};

/**
 * Rows exactly as the version before the recipe defaults wrote them (its schema's output for `{}`
 * and for a run with a jitter of 0.05 and per-image IoU): every setting present, `jitter` one number.
 */
const RECIPE_BEFORE_DEFAULTS =
  '{"batch":16,"optimizer":{"name":"sgd","lr":0.01,"momentum":0.9},"schedule":{"kind":"constant"},"loss":{"name":"batch-iou"},"init":"glorot_normal","bnPlacement":"samplers","seed":1,"valFraction":0.2,"augment":{"hflip":true,"vflip":false,"jitter":0},"backend":"auto","epochs":10}';
const RECIPE_BEFORE_JITTER =
  '{"batch":16,"optimizer":{"name":"sgd","lr":0.01,"momentum":0.9},"schedule":{"kind":"constant"},"loss":{"name":"per-image-iou","eps":0.62},"init":"glorot_normal","bnPlacement":"samplers","seed":3,"valFraction":0.2,"augment":{"hflip":true,"vflip":true,"jitter":0.05},"backend":"auto","epochs":10}';
/** A row that names almost nothing: every default it relied on is the old one. */
const BARE_ROW = '{"epochs":4,"batch":8}';

/** What an old run trained with: SGD, constant rate, its loss, no shifts or zooms, no flip TTA or snapshots. */
const OLD_SETTINGS = {
  optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9 },
  schedule: { kind: 'constant' },
  init: 'glorot_normal',
  bnPlacement: 'samplers',
  valFraction: 0.2,
  backend: 'auto',
  testFraction: 0,
  inference: { tta: false, snapshots: 1 },
} as const;

const EXPECTED: Record<string, RunConfig> = {
  [RECIPE_BEFORE_DEFAULTS]: {
    ...OLD_SETTINGS,
    epochs: 10,
    batch: 16,
    seed: 1,
    loss: { name: 'batch-iou', lovaszWeight: 1 },
    augment: { hflip: true, vflip: false, shift: 0, scale: 0, brightness: 0, contrast: 0 },
  },
  [RECIPE_BEFORE_JITTER]: {
    ...OLD_SETTINGS,
    epochs: 10,
    batch: 16,
    seed: 3,
    loss: { name: 'per-image-iou', eps: 0.62, lovaszWeight: 1 },
    augment: { hflip: true, vflip: true, shift: 0, scale: 0, brightness: 0.05, contrast: 0.05 },
  },
  [BARE_ROW]: {
    ...OLD_SETTINGS,
    epochs: 4,
    batch: 8,
    seed: 1,
    loss: { name: 'batch-iou', lovaszWeight: 1 },
    augment: { hflip: true, vflip: false, shift: 0, scale: 0, brightness: 0, contrast: 0 },
  },
};

describe('reading stored configurations', () => {
  it('migrates a loose-era row: old defaults for what it lacks, unknown keys dropped, old conventions converted', () => {
    const config = parseJson(runConfigSchema, JSON.stringify(LOOSE_ROW), 'runs.config');
    expect(config).toEqual({
      epochs: 6,
      batch: 4,
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 },
      schedule: { kind: 'step', every: 1, factor: 0.5 },
      loss: { name: 'per-image-iou', eps: 0.62, lovaszWeight: 1 },
      init: 'he_normal',
      bnPlacement: 'blocks',
      seed: 7,
      valFraction: 0.25,
      augment: { hflip: true, vflip: true, shift: 0, scale: 0, brightness: 0, contrast: 0 },
      backend: 'auto',
      testFraction: 0,
      inference: { tta: false, snapshots: 1 },
      predictEpochs: [2, 4],
    });
  });

  it('pins the old defaults for rows written before the recipe, the jitter as both brightness and contrast', () => {
    for (const [row, expected] of Object.entries(EXPECTED)) expect(parseJson(runConfigSchema, row, 'runs.config')).toEqual(expected);
    // Not the new defaults: these runs trained without Adam, cosine, BCE + Lovász or TTA. (Their augmentation,
    // the h-flip alone, is again the default since shifts, zooms and brightness/contrast were measured off.)
    const current = defaultRunConfig();
    const bare = parseJson(runConfigSchema, BARE_ROW, 'runs.config');
    for (const key of ['optimizer', 'schedule', 'loss', 'inference'] as const) expect(bare[key]).not.toEqual(current[key]);
    expect(bare.augment).toEqual(current.augment);
  });

  it('leaves a current configuration as it is', () => {
    const current = { ...defaultRunConfig(), earlyStop: { patience: 4, minDelta: 0.001 }, predictEpochs: [1, 3] };
    expect(migrateStoredConfig(current)).toEqual(current);
    expect(parseJson(runConfigSchema, JSON.stringify(current), 'runs.config')).toEqual(current);
    // Settings turned off stay off: a stored row with shifts 0 is not an old row.
    const off = { ...current, augment: { hflip: false, vflip: false, shift: 0, scale: 0, brightness: 0, contrast: 0 }, inference: { tta: false, snapshots: 1 } };
    expect(parseJson(runConfigSchema, JSON.stringify(off), 'runs.config')).toEqual(off);
  });

  it('drops a Lovász weight stored with another loss (it never acted there), keeps it for bce-lovasz', () => {
    const current = defaultRunConfig();
    const withBce = { ...current, loss: { name: 'bce', lovaszWeight: 2 } };
    expect(parseJson(runConfigSchema, JSON.stringify(withBce), 'runs.config').loss).toEqual({ name: 'bce', lovaszWeight: 1 });
    const withIoU = { ...current, loss: { name: 'per-image-iou', eps: 0.5, lovaszWeight: 0 } };
    expect(parseJson(runConfigSchema, JSON.stringify(withIoU), 'runs.config').loss).toEqual({ name: 'per-image-iou', eps: 0.5, lovaszWeight: 1 });
    const weighted = { ...current, loss: { name: 'bce-lovasz', lovaszWeight: 2 } };
    expect(parseJson(runConfigSchema, JSON.stringify(weighted), 'runs.config').loss).toEqual({ name: 'bce-lovasz', lovaszWeight: 2 });
  });

  it('still refuses what the schema refuses, naming the field', () => {
    const bad = { ...LOOSE_ROW, valFraction: 1.5 };
    expect(() => parseJson(runConfigSchema, JSON.stringify(bad), 'runs.config')).toThrow(RunStoreCorruptError);
    expect(() => parseJson(runConfigSchema, JSON.stringify(bad), 'runs.config')).toThrow(/validation fraction must be below 1/);
    // A jitter that is no number is refused (as the old schema did), not read as 0.
    const badJitter = { ...LOOSE_ROW, augment: { hflip: true, jitter: 'high' } };
    expect(() => parseJson(runConfigSchema, JSON.stringify(badJitter), 'runs.config')).toThrow(/brightness must be a number/);
  });

  it('reads runs whose stored rows are in old formats back through the store, and augments them as before', () => {
    const root = scratchDir('migrate');
    const store = RunStore.open(root);
    const rows = [JSON.stringify(LOOSE_ROW), ...Object.keys(EXPECTED)];
    const ids = rows.map((_, i) => store.createRun(sampleInit({ name: `old ${i}` })).id);
    store.close();
    const db = openDatabase(path.join(root, 'index.sqlite'));
    rows.forEach((row, i) => db.prepare('UPDATE runs SET config = ? WHERE id = ?').run(row, ids[i] ?? ''));
    db.close();
    const again = RunStore.open(root);
    try {
      const loose = again.get(ids[0] ?? '');
      expect(loose.config.schedule).toEqual({ kind: 'step', every: 1, factor: 0.5 });
      expect(loose.config.augment).toEqual({ hflip: true, vflip: true, shift: 0, scale: 0, brightness: 0, contrast: 0 });
      expect(loose.config.inference).toEqual({ tta: false, snapshots: 1 });
      expect(loose.config.backend).toBe('auto');
      expect(loose.config).not.toHaveProperty('note');
      Object.values(EXPECTED).forEach((expected, i) => expect(again.get(ids[i + 1] ?? '').config).toEqual(expected));
      const listed = new Map(again.list().map((s) => [s.id, s.config]));
      Object.values(EXPECTED).forEach((expected, i) => expect(listed.get(ids[i + 1] ?? '')).toEqual(expected));
      // The jitter run resumed draws the same flips and jitter it trained with, and no shifts or zooms.
      const jitterRun = again.get(ids[2] ?? '');
      for (let i = 0; i < 20; i++) {
        const rng = mulberry32(mixSeed(3, 1, i, 0x61756721));
        const u = [rng(), rng(), rng(), rng()];
        expect(planAugment(jitterRun.config.augment, 3, 1, i)).toEqual({
          ...NO_AUGMENT,
          hflip: (u[0] ?? 1) < 0.5,
          vflip: (u[1] ?? 1) < 0.5,
          brightness: ((u[2] ?? 0) * 2 - 1) * 0.05,
          contrast: 1 + ((u[3] ?? 0) * 2 - 1) * 0.05,
        });
      }
    } finally {
      again.close();
    }
  });
});
