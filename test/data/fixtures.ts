/** Small hand-built datasets for the split, normalisation and batch tests. */
import { assembleDataset } from '../../src-main/data/dataset';
import type { Dataset } from '../../src-main/data/dataset';

/**
 * A dataset of `saltPixels.length` samples of height x width; sample i has `saltPixels[i]` salt
 * pixels (the first ones in row-major order) and image pixels (i * 7 + p * 3) % 256.
 */
export function tinyDataset(saltPixels: number[], height = 4, width = 5, labelled = true): Dataset {
  const pixels = height * width;
  const n = saltPixels.length;
  const images = new Uint8Array(n * pixels);
  const masks = new Uint8Array(n * pixels);
  saltPixels.forEach((salt, i) => {
    for (let p = 0; p < pixels; p++) {
      images[i * pixels + p] = (i * 7 + p * 3) % 256;
      masks[i * pixels + p] = p < salt ? 1 : 0;
    }
  });
  const ids = saltPixels.map((_, i) => `s${String(i).padStart(3, '0')}`);
  return assembleDataset(
    { name: 'tiny', source: { kind: 'demo', seed: 0, count: saltPixels.length }, synthetic: true, problems: [] },
    ids,
    height,
    width,
    images,
    labelled ? masks : null,
    null,
  );
}
