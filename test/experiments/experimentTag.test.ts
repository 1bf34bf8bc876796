/**
 * A run's experiment tag in the run store: stored with the run, read back with it, found by the
 * experiment's name, refused when malformed; and an index from before the tag (schema 3) migrated.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExperimentTag } from '../../shared/runs/types';
import { SCHEMA_VERSION } from '../../src-main/runs/schema';
import { openDatabase } from '../../src-main/runs/sqlite';
import { withStore } from '../helpers/store';
import { scratchDir } from '../runs/helpers';
import { sampleInit } from '../runs/sample';

const tag = (over: Partial<ExperimentTag> = {}): ExperimentTag => ({ name: 'init', version: 1, group: 'he_normal', seed: 1, fingerprint: 'ab'.repeat(32), ...over });

describe('the experiment tag of a run', () => {
  it('is stored with the run, read back by get, summary and list, and finds the experiment\'s runs by name', () => {
    const dir = scratchDir('exp-tag');
    withStore(dir, (s) => {
      const a = s.createRun(sampleInit({ experiment: tag() }));
      const b = s.createRun(sampleInit({ experiment: tag({ version: 2, group: 'glorot_normal', seed: 3 }) }));
      s.createRun(sampleInit({ experiment: tag({ name: 'bn' }) }));
      const plain = s.createRun(sampleInit());
      expect(a.experiment).toEqual(tag());
      expect(s.get(b.id).experiment).toEqual(tag({ version: 2, group: 'glorot_normal', seed: 3 }));
      expect(s.summary(a.id).experiment).toEqual(tag());
      expect(plain).not.toHaveProperty('experiment');
      expect(s.list().find((r) => r.id === plain.id)).not.toHaveProperty('experiment');
      expect(s.experimentRuns('init').map((r) => r.id)).toEqual([a.id, b.id]);
      expect(s.experimentRuns('nothing')).toEqual([]);
    });
  });

  it('is refused, by what is wrong, when it does not fit its schema', () => {
    withStore(scratchDir('exp-bad'), (s) => {
      expect(() => s.createRun(sampleInit({ experiment: tag({ fingerprint: 'xyz', version: 0 }) }))).toThrow(
        'Run experiment tag cannot be stored: version: an experiment version must be at least 1; fingerprint: a fingerprint is 64 hex digits (SHA-256)',
      );
      expect(s.list()).toEqual([]);
    });
  });

  it('comes with schema 4 (now 5): an index of schema 3 gets its columns, and its runs read as untagged', () => {
    const dir = scratchDir('exp-migrate');
    const old = withStore(dir, (s) => s.createRun(sampleInit()).id);
    // Take the index back to schema 3, as a Strata before experiments left it.
    const db = openDatabase(path.join(dir, 'index.sqlite'));
    db.exec('DROP INDEX runs_by_experiment; ALTER TABLE runs DROP COLUMN experiment; ALTER TABLE runs DROP COLUMN experiment_name; UPDATE schema_version SET version = 3;');
    expect(db.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('runs') WHERE name LIKE 'experiment%'").get()).toEqual({ n: 0 });
    db.close();
    withStore(dir, (s) => {
      expect(s.get(old)).not.toHaveProperty('experiment');
      const tagged = s.createRun(sampleInit({ experiment: tag() }));
      expect(s.experimentRuns('init').map((r) => r.id)).toEqual([tagged.id]);
    });
    const after = openDatabase(path.join(dir, 'index.sqlite'));
    expect(after.prepare('SELECT version FROM schema_version').value()).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(5);
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'runs_by_experiment'").value()).toBe('runs_by_experiment');
    after.close();
  });
});
