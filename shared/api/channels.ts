/**
 * The lab's API: ONE table of channels. Each channel is a request/response `call` or an event stream
 * `listen` (named `onXxx`), with its parameter schema and its result or event type. The main-side
 * handlers, the HTTP transport, and the Electron preload are all derived from this table, so a
 * channel added here is a type error everywhere it is not yet served.
 */
import { z } from 'zod';
import type { Architecture } from '../arch/types';
import type { BatchMetric, EpochMetric, RunEvent, RunRecord, RunSummary } from '../runs/types';
import type { TrainerMessage, UpsamplerResponse } from '../training/protocol';
import type { ExperimentListItem, ExperimentView } from '../experiments/view';
import { BN_PLACEMENTS, INITIALIZERS } from '../arch/types';
import { runNameSchema } from '../runs/request';
import {
  absolutePathSchema,
  datasetIdSchema,
  designDocumentSchema,
  designIdSchema,
  designRefSchema,
  estimateEpochSchema,
  experimentResultsSchema,
  exportSubmissionSchema,
  folderPredictionsSchema,
  predictFolderSchema,
  MAX_PREVIEW_PAGE,
  noInput,
  runIdSchema,
  runListSchema,
  runRefSchema,
  startRunSchema,
} from './schemas';
import { FOLDER_PURPOSES, SAVE_PURPOSES } from './types';
import type {
  AppInfo,
  BackendInfo,
  DesignFile,
  MenuCommand,
  PickResult,
  DatasetEntry,
  DesignCheck,
  DesignListItem,
  DesignRecord,
  EpochEstimate,
  FolderPrediction,
  PredictionsView,
  PresetInfo,
  QueueState,
  SubmissionExport,
  RunList,
  RunsChanged,
  SamplePage,
} from './types';

/** A request/response channel: parameters checked by `input`, answered with an `O`. */
export interface CallChannel<I extends z.ZodType = z.ZodType, O = unknown> {
  readonly kind: 'call';
  readonly input: I;
  /** Type only: the result. */
  readonly __result?: O;
}

/** An event stream: subscribed with parameters checked by `input`, delivering `E`s until undone. */
export interface ListenChannel<I extends z.ZodType = z.ZodType, E = unknown> {
  readonly kind: 'listen';
  readonly input: I;
  /** Type only: the event. */
  readonly __event?: E;
}

/** Either kind of channel. */
export type AnyChannel = CallChannel | ListenChannel;

function call<I extends z.ZodType>(input: I) {
  return { returns: <O>(): CallChannel<I, O> => ({ kind: 'call', input }) };
}

function listen<I extends z.ZodType>(input: I) {
  return { emits: <E>(): ListenChannel<I, E> => ({ kind: 'listen', input }) };
}

const id = z.strictObject({ id: designIdSchema });

/** Every channel of the lab API. */
export const CHANNELS = {
  // Datasets
  listDatasets: call(noInput).returns<DatasetEntry[]>(),
  importDataset: call(z.strictObject({ path: absolutePathSchema })).returns<DatasetEntry>(),
  removeDataset: call(z.strictObject({ id: datasetIdSchema })).returns<{ removed: string }>(),
  previewSamples: call(
    z.strictObject({
      datasetId: datasetIdSchema,
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(MAX_PREVIEW_PAGE).default(24),
    }),
  ).returns<SamplePage>(),

  // Designs
  listPresets: call(noInput).returns<PresetInfo[]>(),
  getPreset: call(z.strictObject({ name: z.string().min(1).max(64) })).returns<Architecture>(),
  listDesigns: call(noInput).returns<DesignListItem[]>(),
  loadDesign: call(id).returns<DesignRecord>(),
  saveDesign: call(z.strictObject({ id: designIdSchema.optional(), arch: designDocumentSchema })).returns<DesignRecord>(),
  validateDesign: call(z.strictObject({ arch: designDocumentSchema })).returns<DesignCheck>(),
  /** Checks a preset or a saved design in the lab (no round trip of the design through the renderer). */
  checkDesign: call(z.strictObject({ design: designRefSchema })).returns<DesignCheck>(),
  deleteDesign: call(id).returns<{ deleted: string }>(),
  /** The note's checkerboard test at initialisation: each upsampler's response to a constant, an impulse and noise. */
  upsamplerResponses: call(
    z.strictObject({
      arch: designDocumentSchema,
      init: z.enum(INITIALIZERS).optional(),
      bnPlacement: z.enum(BN_PLACEMENTS).optional(),
      seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    }),
  ).returns<UpsamplerResponse[]>(),

  // Runs
  listRuns: call(runListSchema).returns<RunList>(),
  getRun: call(runRefSchema).returns<RunRecord>(),
  startRun: call(startRunSchema).returns<RunSummary>(),
  stopRun: call(z.strictObject({ id: runIdSchema, reason: z.string().min(1).max(500).optional() })).returns<RunSummary>(),
  pauseRun: call(runRefSchema).returns<RunSummary>(),
  resumeRun: call(runRefSchema).returns<RunSummary>(),
  /** A wrong-step event's offer: continue from the checkpoint before the loss jump with a lower learning rate. */
  rewindRun: call(z.strictObject({ id: runIdSchema, lrFactor: z.number().gt(0).max(1) })).returns<RunSummary>(),
  /** Chooses a trained run's post-processing on its validation split and scores its test split, as the end of training does (again, when it has one). */
  finalizeRun: call(runRefSchema).returns<RunSummary>(),
  renameRun: call(z.strictObject({ id: runIdSchema, name: runNameSchema })).returns<RunSummary>(),
  deleteRun: call(runRefSchema).returns<{ deleted: string }>(),
  getQueue: call(noInput).returns<QueueState>(),
  getEpochMetrics: call(runRefSchema).returns<EpochMetric[]>(),
  getBatchMetrics: call(
    z.strictObject({ id: runIdSchema, fromStep: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(1_000_000).optional() }),
  ).returns<BatchMetric[]>(),
  getRunEvents: call(runRefSchema).returns<RunEvent[]>(),
  getPredictionEpochs: call(runRefSchema).returns<number[]>(),
  getPredictions: call(
    z.strictObject({
      id: runIdSchema,
      epoch: z.number().int().min(0),
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).optional(),
    }),
  ).returns<PredictionsView>(),
  getBackendInfo: call(noInput).returns<BackendInfo>(),
  predictFolder: call(predictFolderSchema).returns<FolderPrediction>(),
  listFolderPredictions: call(runRefSchema).returns<FolderPrediction[]>(),
  getFolderPredictions: call(folderPredictionsSchema).returns<PredictionsView>(),
  exportSubmission: call(exportSubmissionSchema).returns<SubmissionExport>(),
  estimateEpoch: call(estimateEpochSchema).returns<EpochEstimate>(),

  // Experiments (their runs are the store's, found by their experiment tag)
  /** Every experiment with runs in the store: its versions, groups, and runs complete of planned. */
  listExperiments: call(noInput).returns<ExperimentListItem[]>(),
  /** One experiment version's results as its report computes them: statistics, verdicts, detector events, initialisation analysis, charts. */
  experimentResults: call(experimentResultsSchema).returns<ExperimentView>(),

  // The shell. Browser mode answers the native dialogs with an `unsupported` error: paths are typed there.
  getAppInfo: call(noInput).returns<AppInfo>(),
  /** The native folder dialog. */
  pickFolder: call(z.strictObject({ purpose: z.enum(FOLDER_PURPOSES) })).returns<PickResult>(),
  /** The native save dialog; `defaultName` is the proposed file name (no folders). */
  pickSaveFile: call(
    z.strictObject({
      purpose: z.enum(SAVE_PURPOSES),
      defaultName: z
        .string()
        .min(1)
        .max(255)
        .refine((n) => !/[\\/\0]/.test(n), 'a file name may not contain / or \\'),
    }),
  ).returns<PickResult>(),
  /** A path dropped on the page (desktop): answered with the folder, or a `bad-request` naming what it is instead. */
  checkDroppedFolder: call(z.strictObject({ path: absolutePathSchema })).returns<{ path: string }>(),
  /** The native open dialog for a design file, read as text; null when cancelled. */
  openDesignFile: call(noInput).returns<DesignFile | null>(),
  /** Writes a design as JSON to `path` (chosen with pickSaveFile). */
  writeDesignFile: call(z.strictObject({ path: absolutePathSchema, arch: designDocumentSchema })).returns<{ path: string; bytes: number }>(),

  // Event streams
  onMenuCommand: listen(noInput).emits<MenuCommand>(),
  onRunEvent: listen(z.strictObject({ runId: runIdSchema })).emits<TrainerMessage>(),
  onRunsChanged: listen(noInput).emits<RunsChanged>(),
} as const;

/** The channel table's type. */
export type Channels = typeof CHANNELS;
/** Every channel name. */
export type ChannelName = keyof Channels;
/** Names of the request/response channels. */
export type CallName = { [K in ChannelName]: Channels[K] extends CallChannel ? K : never }[ChannelName];
/** Names of the event streams. */
export type ListenName = { [K in ChannelName]: Channels[K] extends ListenChannel ? K : never }[ChannelName];

/** What a caller passes to channel `K` (before defaults are filled in). */
export type ChannelInput<K extends ChannelName> = z.input<Channels[K]['input']>;
/** What a handler of channel `K` receives (defaults filled in). */
export type ChannelParams<K extends ChannelName> = z.output<Channels[K]['input']>;
/** The result of call channel `K`. */
export type ChannelResult<K extends CallName> = Channels[K] extends CallChannel<z.ZodType, infer O> ? O : never;
/** The event of stream `K`. */
export type ChannelEvent<K extends ListenName> = Channels[K] extends ListenChannel<z.ZodType, infer E> ? E : never;

/** Undoes a subscription. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/** Event streams must be named `onXxx`; this type is `never` when one is not. */
export type MisnamedStreams = Exclude<ListenName, `on${Capitalize<string>}`>;
/** Calls must not be named like streams. */
export type MisnamedCalls = Extract<CallName, `on${Capitalize<string>}`>;

/** Call signature for channel `K`: parameters may be left out when every one of them is optional. */
type CallMethod<K extends CallName> = Record<never, never> extends ChannelInput<K>
  ? (input?: ChannelInput<K>) => Promise<ChannelResult<K>>
  : (input: ChannelInput<K>) => Promise<ChannelResult<K>>;

/** Subscription signature for stream `K`. */
type ListenMethod<K extends ListenName> = (input: ChannelInput<K>, listener: (event: ChannelEvent<K>) => void) => Unsubscribe;

/**
 * The lab API as the renderer sees it: one method per channel. Electron's preload (`window.strata`)
 * and the HTTP transport both implement it, so the renderer cannot tell them apart.
 */
export type StrataApi = { [K in CallName]: CallMethod<K> } & { [K in ListenName]: ListenMethod<K> };

/**
 * What the main side implements: one handler per channel, given parameters already validated.
 * Calls may answer synchronously; streams return their undo.
 */
export type ApiHandlers = { [K in CallName]: (params: ChannelParams<K>) => ChannelResult<K> | Promise<ChannelResult<K>> } & {
  [K in ListenName]: (params: ChannelParams<K>, emit: (event: ChannelEvent<K>) => void) => Unsubscribe;
};

/** True when `name` is a channel of the table (a check for names that arrive from outside). */
export function isChannelName(name: string): name is ChannelName {
  return Object.hasOwn(CHANNELS, name);
}

/** The names of all channels, in table order. */
export const CHANNEL_NAMES = Object.keys(CHANNELS) as ChannelName[];
