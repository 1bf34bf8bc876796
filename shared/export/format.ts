/**
 * Exporting a trained run (`strata export`, the lab's Export action): the one definition of what
 * can be asked for, and of the metadata every exported model carries. Plain data and zod only.
 */
import { z } from 'zod';

/**
 * `onnx`: one .onnx file; `tfjs`: a folder of a tfjs Layers model.json and its weight shards;
 * `keras`: a folder of the design's Keras script (model.py), its trained weights (weights.npz, which
 * the script loads with numpy) and metadata.json.
 */
export const EXPORT_FORMATS = ['onnx', 'tfjs', 'keras'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The checkpoints of a run that can be exported. */
export const EXPORT_CHECKPOINTS = ['best', 'last', 'before-jump'] as const;
export type ExportCheckpoint = (typeof EXPORT_CHECKPOINTS)[number];

/** What an export is asked for. */
export const exportRequestSchema = z.object({
  runId: z.string().min(1),
  format: z.enum(EXPORT_FORMATS),
  checkpoint: z.enum(EXPORT_CHECKPOINTS).default('best'),
  /** The .onnx file, or the folder of the tfjs or Keras model. */
  out: z.string().min(1),
  /** Replace what is at `out` (a folder only when it holds an earlier export of that format and nothing else). */
  force: z.boolean().default(false),
});
export type ExportRequest = z.input<typeof exportRequestSchema>;

/** What an export wrote. */
export const exportResultSchema = z.object({
  runId: z.string(),
  format: z.enum(EXPORT_FORMATS),
  checkpoint: z.enum(EXPORT_CHECKPOINTS),
  /** The checkpoint's epoch, from 0. */
  epoch: z.number().int().min(0),
  out: z.string(),
  /** The files written, relative to `out` for a folder (`model.json`, shards); the file itself for onnx. */
  files: z.array(z.string()),
  bytes: z.number().int().min(0),
  /** The model's metadata (ONNX metadata_props; tfjs userDefinedMetadata; Keras metadata.json). */
  metadata: z.record(z.string(), z.string()),
  /** Whether something at `out` was replaced (--force). */
  replaced: z.boolean(),
});
export type ExportResult = z.infer<typeof exportResultSchema>;

/** What the metadata of an exported model is made from. */
export interface ExportMetadataInput {
  runId: string;
  checkpoint: ExportCheckpoint;
  epoch: number;
  /** The normalisation the run trained with: mean and std of x / 255 over its training split. */
  norm: { mean: number; std: number };
  threshold: number;
  minArea: number;
  saltCut?: number;
  /** describePostprocess of what the run applies (what the single exported model does not: TTA, ensembles). */
  postprocess: string;
  /** The design as trained (its run's BN placement and initializer applied), as JSON. */
  design: string;
  strataVersion: string;
  /** How the model takes its images. */
  layout: 'NCHW' | 'NHWC';
}

/**
 * The model's metadata, all strings (ONNX's metadata_props are). `input_mean` and `input_std` are
 * on the PNG's 0-255 values: input = (png - input_mean) / input_std is exactly what Strata feeds
 * its model ((png / 255 - mean) / std). `threshold`, `min_area` and `salt_cut` are the run's
 * post-processing (its tuned ones where it was finalized).
 */
export function exportMetadata(m: ExportMetadataInput): Record<string, string> {
  return {
    input_mean: String(m.norm.mean * 255),
    input_std: String(m.norm.std * 255),
    threshold: String(m.threshold),
    design: m.design,
    strata_version: m.strataVersion,
    input_layout: m.layout,
    input_formula: '(png - input_mean) / input_std, png the 0-255 grey value (copied into every channel)',
    min_area: String(m.minArea),
    ...(m.saltCut === undefined ? {} : { salt_cut: String(m.saltCut) }),
    run_id: m.runId,
    checkpoint: `${m.checkpoint} (epoch ${m.epoch + 1})`,
    postprocess: m.postprocess,
  };
}
