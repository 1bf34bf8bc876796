/**
 * The store reads a run's configuration with the one run request schema (shared/runs/request.ts)
 * after a migration of rows written by older versions, which a looser reader used to accept.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../shared/runs/request';
import { migrateStoredConfig, parseJson, runConfigSchema } from '../../src-main/runs/parse';
import { RunStoreCorruptError } from '../../src-main/runs/errors';
import { openDatabase } from '../../src-main/runs/sqlite';
import { RunStore } from '../../src-main/runs/store';
import { scratchDir } from './helpers';
import { sampleInit } from './sample';

/** A configuration as an older Strata stored it: no augment jitter, no backend, a key no longer known, 0-based prediction epochs, step every 0. */
const OLD_ROW = {
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

describe('reading stored configurations', () => {
  it('migrates an old-format row: defaults for what it lacks, unknown keys dropped, old conventions converted', () => {
    const config = parseJson(runConfigSchema, JSON.stringify(OLD_ROW), 'runs.config');
    expect(config).toEqual({
      epochs: 6,
      batch: 4,
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 },
      schedule: { kind: 'step', every: 1, factor: 0.5 },
      loss: { name: 'per-image-iou', eps: 0.62 },
      init: 'he_normal',
      bnPlacement: 'blocks',
      seed: 7,
      valFraction: 0.25,
      augment: { hflip: true, vflip: true, jitter: 0 },
      backend: 'auto',
      predictEpochs: [2, 4],
    });
  });

  it('leaves a current configuration as it is', () => {
    const current = { ...defaultRunConfig(), earlyStop: { patience: 4, minDelta: 0.001 }, predictEpochs: [1, 3] };
    expect(migrateStoredConfig(current)).toEqual(current);
    expect(parseJson(runConfigSchema, JSON.stringify(current), 'runs.config')).toEqual(current);
  });

  it('still refuses what the schema refuses, naming the field', () => {
    const bad = { ...OLD_ROW, valFraction: 1.5 };
    expect(() => parseJson(runConfigSchema, JSON.stringify(bad), 'runs.config')).toThrow(RunStoreCorruptError);
    expect(() => parseJson(runConfigSchema, JSON.stringify(bad), 'runs.config')).toThrow(/validation fraction must be below 1/);
  });

  it('reads a run whose stored row is in the old format through the store', () => {
    const root = scratchDir('migrate');
    const store = RunStore.open(root);
    const run = store.createRun(sampleInit());
    store.close();
    const db = openDatabase(path.join(root, 'index.sqlite'));
    db.prepare('UPDATE runs SET config = ? WHERE id = ?').run(JSON.stringify(OLD_ROW), run.id);
    db.close();
    const again = RunStore.open(root);
    try {
      const read = again.get(run.id);
      expect(read.config.schedule).toEqual({ kind: 'step', every: 1, factor: 0.5 });
      expect(read.config.augment).toEqual({ hflip: true, vflip: true, jitter: 0 });
      expect(read.config.backend).toBe('auto');
      expect(read.config).not.toHaveProperty('note');
    } finally {
      again.close();
    }
  });
});
