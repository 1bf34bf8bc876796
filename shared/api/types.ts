/**
 * What the lab's channels return: plain JSON data, the same over Electron IPC and over HTTP.
 * Pixel data travels as base64 of raw bytes (one byte per pixel, row-major), which is a third the
 * size of a JSON number array and decodes with `atob` in the renderer.
 */
import type { BackendProbe } from '../training/protocol';
import type { Architecture } from '../arch/types';
import type { ArchError } from '../arch/errors';
import type { ArchSummary } from '../arch/summary';
import type { DatasetInfo } from '../data/types';
import type { PredictionPostprocess } from '../runs/postprocess';
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
  /** Base64 of the same layout: the grey images (0..255); null when the data cannot be read any more. */
  images: string | null;
  /** Depth of each sample of the page (depths.csv), null where unknown; null when the data has no depths. */
  depths: (number | null)[] | null;
  /**
   * Each sample's salt-head probability (one per id of the page), which the salt head's vote of the
   * prediction's post-processing reads; null where the predictions keep none (epoch predictions,
   * and folder predictions of a design without a salt head).
   */
  saltProbs: number[] | null;
}

/** Predictions of a run on a folder of (usually unlabelled) images, stored in the run's folder. */
export interface FolderPrediction {
  runId: string;
  /** Names the folder's predictions within the run (a hash of its path). */
  key: string;
  /** The folder predicted, absolute. */
  path: string;
  /** The epoch of the checkpoint that predicted. */
  epoch: number;
  count: number;
  height: number;
  width: number;
  createdAt: number;
  /**
   * The threshold the prediction applied: its `postprocess.threshold`; for a prediction stored before
   * that was recorded, the threshold it was stored with (the best epoch's tuned one); null when unknown.
   */
  threshold: number | null;
  /**
   * What the prediction applied (checkpoints averaged, flip TTA) and how its masks are made
   * (`applyPostprocess(probs, ..., { threshold, minArea })`, shared/metrics); null for predictions
   * stored before it was recorded (then: minimum area 0).
   */
  postprocess: PredictionPostprocess | null;
}

/** A Kaggle submission file written by the lab. */
export interface SubmissionExport {
  path: string;
  rows: number;
  /** Rows with at least one salt pixel. */
  withSalt: number;
  threshold: number;
  /** Images with fewer salt pixels than this were written empty. */
  minArea: number;
  /** Images whose salt-head probability is below this were written empty; absent when no vote applied. */
  saltCut?: number;
}

/** The training backend as the lab knows it without loading tfjs itself. */
export interface BackendInfo {
  /** The backend of the most recently started run that got one; null when none has. */
  last: { runId: string; startedAt: number | null; backend: RunBackend } | null;
  /** Always set: how the backend is chosen. */
  note: string;
  /**
   * What a run started now would train on, found by the backend selection in a trainer process when
   * the lab opened; null until that probe answers (or when it failed: see `probeProblem`).
   */
  available: BackendProbe | null;
  probeProblem: string | null;
}

/** A change to the run list; the UI re-reads what it shows. */
export interface RunsChanged {
  change: 'created' | 'status' | 'progress' | 'deleted' | 'queue';
  runId: string | null;
}


/**
 * The training setup's time estimate, from a short measured warm-up in a trainer process:
 * training steps are timed; validation is counted as a third of a step per batch (a forward pass
 * against forward, input gradient and filter gradient).
 */
export interface EpochEstimate {
  /** Median seconds of one training step over the timed steps. */
  secondsPerStep: number;
  /** The untimed first step (kernel set-up), for the curious. */
  warmupSeconds: number;
  /** Timed steps. */
  steps: number;
  stepsPerEpoch: number;
  valBatches: number;
  trainCount: number;
  valCount: number;
  /** Training steps plus validation. */
  secondsPerEpoch: number;
  /** The backend the warm-up got, which a run with the same request would get too. */
  backend: RunBackend;
  /** True when another run was training during the warm-up, so the figure is pessimistic. */
  contended: boolean;
}

/** Which shell serves the page: the Electron desktop app, or the lab in a browser (`npm run lab`). */
export type AppShell = 'desktop' | 'browser';

/** What the About box and the Help menu show, and what the page needs to know of its shell. */
export interface AppInfo {
  shell: AppShell;
  /** Strata's version (package.json). */
  version: string;
  /** Runtime versions: `node` always; `electron`, `chrome` and `v8` in the desktop app. */
  versions: Record<string, string>;
  platform: string;
  /** The lab's data folder (datasets, designs) and the run store. */
  dataDir: string;
  runsDir: string;
  /** Where the main and trainer logs go; null when the shell writes none (browser mode logs to its terminal). */
  logsDir: string | null;
}

/** What a native picker returned: the chosen absolute path, or null when the user cancelled. */
export interface PickResult {
  path: string | null;
}

/** Why a folder is asked for: the dialog's title and button follow from it. */
export const FOLDER_PURPOSES = ['import-dataset', 'predict-folder'] as const;
export type FolderPurpose = (typeof FOLDER_PURPOSES)[number];

/** What a file is saved as: the dialog's title and file-type filter follow from it. */
export const SAVE_PURPOSES = ['submission', 'design'] as const;
export type SavePurpose = (typeof SAVE_PURPOSES)[number];

/** The views the View menu and Alt+1..5 lead to. */
export const MENU_VIEWS = ['data', 'designer', 'training', 'masks', 'runs'] as const;

/**
 * A command from the desktop app's menu to the page. The page carries it out with its own state
 * (the design on the canvas, the run shown), through the usual channels.
 */
export type MenuCommand =
  | { command: 'import-dataset' }
  | { command: 'open-design' }
  | { command: 'save-design' }
  | { command: 'export-submission' }
  | { command: 'show-view'; view: (typeof MENU_VIEWS)[number] };

/** A design file read from disk through the native open dialog. */
export interface DesignFile {
  /** The file's absolute path. */
  path: string;
  /** Its name, for messages. */
  name: string;
  /** Its text, parsed by the page like a dropped file. */
  text: string;
}
