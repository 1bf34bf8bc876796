/**
 * Plain data about a dataset, shared by the main process (which loads it) and the UI (which shows it).
 * Pixels never cross into these types: they stay in the main process's `Dataset`.
 */

/** Why a file (or a CSV row) was skipped, or imported with a change. */
export type DatasetProblemCode =
  /** An image has no mask (neither `masks/ID.png` nor a `train.csv` row). The image is skipped. */
  | 'missing-mask'
  /** A mask or CSV row names an id that has no `images/ID.png`. */
  | 'missing-image'
  /** An image differs in size from the dataset's size, or a mask from its image. */
  | 'size-mismatch'
  /** A file starts like a PNG but cannot be decoded (truncated, bad chunk, bad compressed data). */
  | 'corrupt-png'
  /** A `.png` file that is not a PNG at all (wrong signature). */
  | 'not-png'
  /** A 0-byte file. */
  | 'empty-file'
  /** A `train.csv` RLE string that does not decode (see `decodeRle`). */
  | 'bad-rle'
  /** A second CSV row for an id already seen; the first row is kept. */
  | 'duplicate-id'
  /** A `depths.csv` row whose depth is not a finite number. */
  | 'bad-depth'
  /** A CSV file whose header is not the expected one; the whole file is ignored. */
  | 'bad-header'
  /** A CSV row with the wrong number of fields or an empty id. */
  | 'bad-row'
  /** A `train.csv` row that disagrees with `masks/ID.png` (masks/ wins). */
  | 'rle-mismatch'
  /** `masks/` and `train.csv` both exist but the CSV has no row for an imported id (masks/ wins). */
  | 'missing-rle'
  /** An image with colour (R, G, B not all equal); it is imported as the mean of R, G and B. */
  | 'colour-image'
  /** A file in `images/` or `masks/` that is not a `.png`; it is ignored. */
  | 'ignored-file'
  /** The file system refused to read the file. */
  | 'unreadable'
  /** A PNG whose declared size is past the largest a design takes (4096 on a side); it is not decoded. */
  | 'too-large';

/**
 * One problem found while importing. `error`: something was skipped; `warning`: imported, but with a
 * change or an inconsistency the user should know about.
 */
export interface DatasetProblem {
  code: DatasetProblemCode;
  severity: 'error' | 'warning';
  /** Relative to the dataset root, with `/` separators, e.g. `masks/abc.png` or `train.csv`. */
  file: string;
  /** 1-based line, for CSV rows. */
  line?: number;
  /** The sample id concerned, where there is one. */
  id?: string;
  /** Specific and actionable, and names the file, e.g. "masks/abc.png: 100x101, expected 101x101 like images/abc.png". */
  message: string;
}

/** Salt coverage (fraction of mask pixels that are salt) over a labelled dataset. */
export interface SaltCoverageStats {
  /** Images whose mask is all zero. */
  empty: number;
  /** Mean coverage over all images (empty ones included), in [0, 1]. */
  mean: number;
  /**
   * Histogram of the non-empty images: `bins[k]` counts coverage in (k/10, (k+1)/10], the first bin
   * also holding any coverage down to one pixel; 10 bins.
   */
  bins: number[];
}

/** Where a dataset came from. */
export type DatasetSource =
  /** `subset`: only the first N samples by id were kept. */
  | { kind: 'folder'; path: string; subset?: number }
  | { kind: 'demo'; seed: number; count: number };

/** Everything the UI needs to show about a loaded dataset. */
export interface DatasetInfo {
  name: string;
  source: DatasetSource;
  /** True for generated data (the demo); such data is never to be presented as real. */
  synthetic: boolean;
  /** Samples that imported. */
  count: number;
  height: number;
  width: number;
  /** Whether every sample has a mask. */
  labelled: boolean;
  /** Whether a depth table was read (samples without a depth still have NaN). */
  hasDepths: boolean;
  /** SHA-256 (hex) over ids, size, image pixels, masks and depths: equal fingerprints mean equal data. */
  fingerprint: string;
  problems: DatasetProblem[];
  /** Null for unlabelled datasets. */
  saltCoverage: SaltCoverageStats | null;
}
