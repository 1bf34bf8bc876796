/**
 * What the lab's channels return: plain JSON data, the same over Electron IPC and over HTTP.
 * Pixel data travels as base64 of raw bytes (one byte per pixel, row-major), which is a third the
 * size of a JSON number array and decodes with `atob` in the renderer.
 */
import type { Architecture } from '../arch/types';
import type { ArchError } from '../arch/errors';
import type { ArchSummary } from '../arch/summary';
import type { DatasetInfo } from '../data/types';
import type { RunBackend, RunSummary } from '../runs/types';

/** The id of the built-in synthetic demo dataset; always listed. */
export const DEMO_DATASET_ID = 'demo';

/** One dataset the lab knows. */
export interface DatasetEntry {
  id: string;
  /** The imported folder; null for the demo set. */
  path: string | null;
  /** Generated data (the demo); never to be presented as real. */
  synthetic: boolean;
  /** When the folder was (last) imported; null for the demo set. */
  importedAt: number | null;
  /** What the import found, its problems included. */
  info: DatasetInfo;
}

/** One sample as the preview shows it. */
export interface SamplePreview {
  id: string;
  /** Position in the dataset. */
  index: number;
  /** Base64 of height*width grey bytes, 0..255. */
  image: string;
  /** Base64 of height*width bytes, 0 or 1; null for unlabelled data. */
  mask: string | null;
  /** Fraction of salt pixels; null for unlabelled data. */
  coverage: number | null;
  /** Depth from depths.csv; null when unknown. */
  depth: number | null;
}

/** A page of samples. */
export interface SamplePage {
  datasetId: string;
  /** Samples in the whole dataset. */
  total: number;
  offset: number;
  height: number;
  width: number;
  synthetic: boolean;
  samples: SamplePreview[];
}

/** A built-in design. */
export interface PresetInfo {
  name: string;
  title: string;
  description: string;
  convLayers: number;
  params: number;
}

/** A saved design as listed. */
export interface DesignListItem {
  id: string;
  name: string;
  updatedAt: number;
  /** False when the design has errors; an invalid design can be kept but not trained. */
  valid: boolean;
  /** Null for an invalid design. */
  convLayers: number | null;
  errorCount: number;
}

/** A saved design in full. `arch` is the document as saved, which may not parse when it is invalid. */
export interface DesignRecord extends DesignListItem {
  arch: unknown;
  errors: ArchError[];
}

/** Whether a design can be trained, and its numbers when it can. */
export interface DesignCheck {
  valid: boolean;
  errors: ArchError[];
  /** Null for an invalid design. */
  summary: ArchSummary | null;
  /** The parsed design, when it parses. */
  arch: Architecture | null;
}

/** Runs as listed, with the total matching the query (for paging). */
export interface RunList {
  runs: RunSummary[];
  total: number;
}

/** The lab's training queue: at most one run trains; the rest wait in order. */
export interface QueueState {
  active: { runId: string; pid: number | null } | null;
  queued: string[];
}

/** One epoch's stored validation predictions, with the truth to score them against. */
export interface PredictionsView {
  runId: string;
  epoch: number;
  /** Samples stored for the epoch (the page below may hold fewer). */
  total: number;
  offset: number;
  ids: string[];
  height: number;
  width: number;
  /** Base64 of ids.length*height*width bytes, each round(p * 255). */
  probs: string;
  /** Base64 of the same layout, 0 or 1; null when the run's data cannot be read any more. */
  truth: string | null;
  /** Why `truth` is null or may not match (data changed since the run); null when all is well. */
  truthNote: string | null;
}

/** The training backend as the lab knows it without loading tfjs itself. */
export interface BackendInfo {
  /** The backend of the most recently started run that got one; null when none has. */
  last: { runId: string; startedAt: number | null; backend: RunBackend } | null;
  /** Always set: how the backend is chosen. */
  note: string;
}

/** A change to the run list; the UI re-reads what it shows. */
export interface RunsChanged {
  change: 'created' | 'status' | 'progress' | 'deleted' | 'queue';
  runId: string | null;
}

