/** The in-memory dataset: packed pixels plus the plain `DatasetInfo` the UI sees. */
import { createHash } from 'node:crypto';
import { saltCoverageStats } from '../../shared/data/coverage';
import type { DatasetInfo, DatasetProblem, DatasetSource } from '../../shared/data/types';

/** A loaded dataset. Sample i's pixels are `images.subarray(i*H*W, (i+1)*H*W)`, row-major. */
export interface Dataset {
  info: DatasetInfo;
  /** Sample ids, in the order of the packed arrays. */
  ids: string[];
  height: number;
  width: number;
  /** N*H*W grey, 0..255. */
  images: Uint8Array;
  /** N*H*W 0/1, or null for unlabelled data. */
  masks: Uint8Array | null;
  /** Depth per sample (feet, as in depths.csv); NaN where unknown; null when no depth table was read. */
  depths: Float64Array | null;
}

/** What `assembleDataset` needs besides the arrays. */
export interface DatasetMeta {
  name: string;
  source: DatasetSource;
  synthetic: boolean;
  problems: DatasetProblem[];
}

/**
 * SHA-256 over ids, size, image pixels, masks and depths. Ids are length-prefixed so that no two
 * different id lists hash alike.
 */
export function datasetFingerprint(
  ids: readonly string[],
  height: number,
  width: number,
  images: Uint8Array,
  masks: Uint8Array | null,
  depths: Float64Array | null,
): string {
  const hash = createHash('sha256');
  hash.update(`strata-dataset\n${ids.length} ${height} ${width}\n`);
  for (const id of ids) hash.update(`${id.length}:${id}\n`);
  hash.update(images);
  hash.update(masks ? 'masks\n' : 'no-masks\n');
  if (masks) hash.update(masks);
  hash.update(depths ? 'depths\n' : 'no-depths\n');
  if (depths) hash.update(new Uint8Array(depths.buffer, depths.byteOffset, depths.byteLength));
  return hash.digest('hex');
}

/** Builds a `Dataset` (info, fingerprint and coverage statistics included) from packed arrays. */
export function assembleDataset(
  meta: DatasetMeta,
  ids: string[],
  height: number,
  width: number,
  images: Uint8Array,
  masks: Uint8Array | null,
  depths: Float64Array | null,
): Dataset {
  const pixels = height * width;
  if (images.length !== ids.length * pixels) {
    throw new RangeError(`images hold ${images.length} bytes, expected ${ids.length} x ${height}x${width}`);
  }
  if (masks && masks.length !== images.length) {
    throw new RangeError(`masks hold ${masks.length} bytes, expected ${images.length} like the images`);
  }
  if (depths && depths.length !== ids.length) {
    throw new RangeError(`depths hold ${depths.length} values, expected ${ids.length}`);
  }
  const info: DatasetInfo = {
    name: meta.name,
    source: meta.source,
    synthetic: meta.synthetic,
    count: ids.length,
    height,
    width,
    labelled: masks !== null,
    hasDepths: depths !== null,
    fingerprint: datasetFingerprint(ids, height, width, images, masks, depths),
    problems: meta.problems,
    saltCoverage: masks ? saltCoverageStats(masks, ids.length, pixels) : null,
  };
  return { info, ids, height, width, images, masks, depths };
}

/** The pixels of sample `index`, without copying. */
export function sampleImage(ds: Dataset, index: number): Uint8Array {
  const pixels = ds.height * ds.width;
  return ds.images.subarray(index * pixels, (index + 1) * pixels);
}

/** The mask of sample `index`, without copying; null for unlabelled data. */
export function sampleMask(ds: Dataset, index: number): Uint8Array | null {
  const pixels = ds.height * ds.width;
  return ds.masks ? ds.masks.subarray(index * pixels, (index + 1) * pixels) : null;
}
