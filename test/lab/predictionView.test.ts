/**
 * A page of stored predictions as the Masks view receives it: with a folder prediction's salt-head
 * probabilities cut to the page (so the view applies the vote its export applies), none for
 * predictions that keep none, and a count that does not match refused.
 */
import { describe, expect, it } from 'vitest';
import type { RunPredictions } from '../../shared/runs/types';
import { predictionPage } from '../../src-main/lab/predictionView';

// Five 1x2 images; probabilities 10*k and 10*k + 1.
const predictions: RunPredictions = {
  epoch: 3,
  ids: ['a', 'b', 'c', 'd', 'e'],
  height: 1,
  width: 2,
  probs: Uint8Array.from({ length: 10 }, (_, i) => 10 * Math.floor(i / 2) + (i % 2)),
};
const salt = Float32Array.from([0.1, 0.25, 0.5, 0.75, 0.9]);
const unreadable = { ok: false as const, reason: 'gone' };

describe('a predictions page', () => {
  it('carries the salt probabilities of its own images, exactly as the head gave them', () => {
    const p = predictionPage({ runId: 'r', predictions, offset: 1, limit: 3, data: unreadable, unlabelled: true, saltProbs: salt });
    expect(p.ids).toEqual(['b', 'c', 'd']);
    expect(p.saltProbs).toEqual([Math.fround(0.25), 0.5, 0.75]);
    expect(Array.from(Buffer.from(p.probs, 'base64'))).toEqual([10, 11, 20, 21, 30, 31]);
    // Through JSON (the lab's transport) and back to float32, each is the head's value.
    const back = Float32Array.from(JSON.parse(JSON.stringify(p.saltProbs)) as number[]);
    expect(back).toEqual(salt.subarray(1, 4));
    // The last page, short.
    expect(predictionPage({ runId: 'r', predictions, offset: 4, limit: 3, data: unreadable, saltProbs: salt }).saltProbs).toEqual([Math.fround(0.9)]);
  });

  it('has none for predictions that keep none, and refuses a count that does not match', () => {
    expect(predictionPage({ runId: 'r', predictions, offset: 0, data: unreadable }).saltProbs).toBeNull();
    expect(predictionPage({ runId: 'r', predictions, offset: 0, data: unreadable, saltProbs: null }).saltProbs).toBeNull();
    expect(() => predictionPage({ runId: 'r', predictions, offset: 0, data: unreadable, saltProbs: salt.subarray(0, 4) })).toThrow('4 salt probabilities for 5 predicted samples');
  });
});
