import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunInputError, RunStoreCorruptError } from '../../src-main/runs/errors';
import { RunStore } from '../../src-main/runs/store';
import { scratchDir } from './helpers';
import { sampleInit } from './sample';

let store: RunStore | null = null;
afterEach(() => {
  store?.close();
  store = null;
});

/** Probabilities as the trainer stores them: round(p * 255), here from a fixed pattern. */
function probs(n: number, h: number, w: number, shift: number): Uint8Array {
  const out = new Uint8Array(n * h * w);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(((Math.sin(i * 0.37 + shift) + 1) / 2) * 255);
  return out;
}

describe('RunStore: predictions', () => {
  it('round-trips the predictions of several epochs and lists them in order', () => {
    const root = scratchDir('pred');
    store = RunStore.open(root);
    const run = store.createRun(sampleInit());
    const ids = run.split.val;
    const e10 = probs(ids.length, 101, 101, 10);
    const e2 = probs(ids.length, 101, 101, 2);
    store.savePredictions(run.id, 10, ids, e10, 101, 101);
    store.savePredictions(run.id, 2, ids, e2, 101, 101);
    expect(store.predictionEpochs(run.id)).toEqual([2, 10]);
    const got = store.loadPredictions(run.id, 10);
    expect(got?.ids).toEqual(ids);
    expect([got?.height, got?.width, got?.epoch]).toEqual([101, 101, 10]);
    expect(Buffer.from(got?.probs ?? []).equals(Buffer.from(e10))).toBe(true);
    expect(Buffer.from(store.loadPredictions(run.id, 2)?.probs ?? []).equals(Buffer.from(e2))).toBe(true);
    expect(store.loadPredictions(run.id, 3)).toBeNull();
    // replacing an epoch's predictions leaves one file for it
    store.savePredictions(run.id, 2, ids, e10, 101, 101);
    expect(Buffer.from(store.loadPredictions(run.id, 2)?.probs ?? []).equals(Buffer.from(e10))).toBe(true);
    expect(fs.readdirSync(path.join(root, 'runs', run.id, 'predictions')).sort()).toEqual(['epoch-10.bin', 'epoch-2.bin']);
  });

  it('refuses predictions whose size does not fit, and a damaged file', () => {
    const root = scratchDir('predbad');
    store = RunStore.open(root);
    const run = store.createRun(sampleInit());
    expect(() => store?.savePredictions(run.id, 1, ['a', 'b'], new Uint8Array(10), 2, 3)).toThrow(RunInputError);
    expect(() => store?.savePredictions(run.id, 1, ['a', 'b'], new Uint8Array(10), 2, 3)).toThrow(/need 12 values, got 10/);
    store.savePredictions(run.id, 1, ['a', 'b'], probs(2, 2, 3, 0), 2, 3);
    const file = path.join(root, 'runs', run.id, 'predictions', 'epoch-1.bin');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    fs.writeFileSync(file, bytes);
    expect(() => store?.loadPredictions(run.id, 1)).toThrow(RunStoreCorruptError);
    expect(() => store?.loadPredictions(run.id, 1)).toThrow(/epoch-1\.bin: payload does not match its SHA-256/);
  });
});
