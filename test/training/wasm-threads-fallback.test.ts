/**
 * A threaded wasm start that fails (here: a pthread worker script that throws) falls back to the
 * single-threaded build in the same process and says why. Its own process: wasm starts once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src-main/training/backend';
import { livePthreadWorkers } from '../../src-main/training/wasm/node-workers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-thread-failure-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('threaded wasm start-up failure', () => {
  it('falls back to one thread with the reason, and the backend works', async () => {
    const worker = path.join(dir, 'broken-worker.cjs');
    fs.writeFileSync(worker, "throw new Error('forced pthread failure');\n");
    const r = await selectBackend({ force: 'wasm', wasm: { threads: 2, scripts: { worker, module: path.join(dir, 'unused.cjs') } } });
    expect(r.name).toBe('wasm');
    expect(r.threads).toBe(1);
    expect(r.detail).toMatch(/^1 thread · /);
    const notes = (r.notes ?? []).join(' ');
    expect(notes).toContain('single-threaded: the threaded wasm build did not start');
    expect(notes).toContain('forced pthread failure');
    // Every worker of the abandoned start is gone.
    expect(livePthreadWorkers()).toBe(0);
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same');
    // A 3x3 ones kernel over a 3x3 ones image with zero padding counts each pixel's in-image neighbours.
    expect(Array.from(y.dataSync())).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });
});
