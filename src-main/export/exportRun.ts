/**
 * Exporting one checkpoint of a trained run as an ONNX file, a tfjs Layers model folder or a Keras
 * script with its weights (`strata export`). The weights are the checkpoint's; the design is the run's as it trained (its
 * BN placement and initializer applied, as the prediction path builds it); the metadata carries the
 * run's normalisation and post-processing. What is written appears whole or not at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { withBnPlacement, withInitializer } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { kerasScript } from '../../shared/arch/keras';
import { exportMetadata, exportRequestSchema, type ExportCheckpoint, type ExportFormat, type ExportRequest, type ExportResult } from '../../shared/export/format';
import { ExportError, lowerToOnnx, onnxSizeProblem } from '../../shared/export/onnxGraph';
import { describePostprocess, resolvePostprocess } from '../../shared/runs/postprocess';
import type { Checkpoint, RunRecord } from '../../shared/runs/types';
import { strataPackageVersion } from '../lab/versions';
import { errnoCode, writeFileAtomic } from '../runs/atomic';
import type { RunStore } from '../runs/store';
import { fileBytes, isExportFolder, tfjsFolderFiles, writeFolderAtomic, type FolderFile } from './exportFolder';
import { npzChunks, npzProblem } from './npz';
import { encodeOnnxModel } from './onnxModel';

/** The Keras export's weights file, beside its script. */
const KERAS_WEIGHTS = 'weights.npz';

/** A request the exporter refuses: no such run or checkpoint, a path in the way, a design it cannot write. */
export class ExportRefusedError extends Error {
  override readonly name = 'ExportRefusedError';
}

/** The design a run's checkpoints hold weights for: its BN placement and initializer applied (as inference.ts's loader builds it). */
export function trainedArch(run: Pick<RunRecord, 'arch' | 'config'>): Architecture {
  return withInitializer(withBnPlacement(run.arch, run.config.bnPlacement), run.config.init);
}

function describeCheckpoint(kind: ExportCheckpoint): string {
  return kind === 'before-jump' ? 'before-jump checkpoint (kept only when training detected a loss jump)' : `${kind} checkpoint`;
}

/** Why `out` may not be written, or null: something is there and --force was not given, or what is there is not what --force may replace. */
function outProblem(out: string, format: ExportFormat, force: boolean): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(out);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return null;
    return `${out}: cannot be looked at (${errnoCode(e)})`;
  }
  if (!force) return `${out} already exists; pass --force to replace it`;
  if (format === 'onnx' && !stat.isFile()) return `${out} exists and is not a file; --force replaces only a file with an ONNX model`;
  if (format !== 'onnx' && !(stat.isDirectory() && isExportFolder(out, format))) {
    const holds = format === 'tfjs' ? 'model.json and its .bin shards' : `model.py, ${KERAS_WEIGHTS} and metadata.json`;
    return `${out} exists and is not a folder of an earlier ${format} export (${holds} only); --force replaces only such a folder`;
  }
  return null;
}

/** The run's checkpoint `kind`, or a refusal that names the run and says what it has. */
function checkpointOf(store: RunStore, run: RunRecord, kind: ExportCheckpoint): Checkpoint {
  const ckpt = store.loadCheckpoint(run.id, kind);
  if (ckpt) return ckpt;
  const has = (['best', 'last', 'before-jump'] as const).filter((k) => k !== kind && store.checkpointInfo(run.id, k) !== null);
  throw new ExportRefusedError(
    `run ${run.id} has no ${describeCheckpoint(kind)} (${run.epochsDone} epoch${run.epochsDone === 1 ? '' : 's'} done; ${has.length === 0 ? 'it has no checkpoint at all' : `it has: ${has.join(', ')}`}), so there is nothing to export`,
  );
}

/**
 * The threshold and post-processing a prediction of the run applies (the run's stored one, else
 * the best epoch's tuned threshold), as predictWithRun resolves them.
 */
function postprocessOf(store: RunStore, run: RunRecord) {
  const best = store.checkpointInfo(run.id, 'best');
  const t = best ? store.epochMetrics(run.id).find((e) => e.epoch === best.epoch)?.bestThreshold : undefined;
  return resolvePostprocess(run, t !== undefined && Number.isFinite(t) ? t : null, { mode: 'run' });
}

/** Exports a checkpoint of a run; see {@link ExportRequest}. Refusals are {@link ExportRefusedError}s. */
export async function exportRun(store: RunStore, request: ExportRequest): Promise<ExportResult> {
  const req = exportRequestSchema.parse(request);
  const out = path.resolve(req.out);
  let run: RunRecord;
  try {
    run = store.get(req.runId);
  } catch (e) {
    throw new ExportRefusedError(e instanceof Error ? e.message : String(e));
  }
  const problem = outProblem(out, req.format, req.force);
  if (problem) throw new ExportRefusedError(problem);
  const parent = path.dirname(out);
  if (!fs.existsSync(parent)) throw new ExportRefusedError(`${parent} does not exist: make the folder first`);
  const arch = trainedArch(run);
  const tooBig = req.format === 'onnx' ? onnxSizeProblem(arch) : null;
  if (tooBig) throw new ExportRefusedError(`run ${run.id} cannot be exported as ONNX: ${tooBig.message}`);
  // Keras's limits are the script's (a transposed conv it cannot size): known before any weight is read.
  const keras = req.format === 'keras' ? kerasScript(arch, { weightsFile: KERAS_WEIGHTS }) : null;
  if (keras && !keras.ok) throw new ExportRefusedError(`run ${run.id} cannot be exported as Keras: ${keras.errors.map((e) => e.message).join('; ')}`);
  const ckpt = checkpointOf(store, run, req.checkpoint);
  const norm = ckpt.extra?.norm;
  if (!norm) throw new ExportRefusedError(`run ${run.id}: its ${req.checkpoint} checkpoint has no normalisation statistics`);
  const applied = postprocessOf(store, run);
  const single = applied.tta || applied.snapshots > 1 ? ' This model is one checkpoint, without the flip TTA or snapshot averaging.' : '';
  const metadata = exportMetadata({
    runId: run.id,
    checkpoint: req.checkpoint,
    epoch: ckpt.epoch,
    norm,
    threshold: applied.threshold,
    minArea: applied.minArea,
    ...(applied.saltCut === undefined ? {} : { saltCut: applied.saltCut }),
    postprocess: `the run predicts with: ${describePostprocess({ members: applied.snapshots > 1 ? 'snapshots' : 'best', snapshots: applied.snapshots, tta: applied.tta, threshold: applied.threshold, minArea: applied.minArea, ...(applied.saltCut === undefined ? {} : { saltCut: applied.saltCut }) })}.${single}`,
    design: JSON.stringify(arch),
    strataVersion: strataPackageVersion(),
    layout: req.format === 'onnx' ? 'NCHW' : 'NHWC',
  });
  const base = { runId: run.id, format: req.format, checkpoint: req.checkpoint, epoch: ckpt.epoch, out, metadata, replaced: fs.existsSync(out) };
  try {
    if (req.format === 'onnx') {
      const graph = lowerToOnnx(arch, ckpt.tensors);
      const bytes = encodeOnnxModel(graph, { producerVersion: metadata.strata_version ?? 'unknown', doc: `${arch.name}: run ${run.id}, ${metadata.checkpoint}, exported by Strata`, metadata });
      writeFileAtomic(out, bytes);
      return { ...base, files: [out], bytes: bytes.length };
    }
    let files: FolderFile[];
    if (keras?.ok) {
      const problem = npzProblem(ckpt.tensors);
      if (problem) throw new ExportRefusedError(`run ${run.id} cannot be exported as Keras: ${problem}`);
      files = [
        { name: 'model.py', data: Buffer.from(keras.script, 'utf8') },
        { name: KERAS_WEIGHTS, data: npzChunks(ckpt.tensors) },
        { name: 'metadata.json', data: Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`, 'utf8') },
      ];
    } else {
      // tfjs lives in src-main/training/: loaded only for this format.
      const { layersArtifacts } = await import('../training/export/tfjsLayers');
      files = tfjsFolderFiles(await layersArtifacts(arch, ckpt.tensors, metadata), `Strata ${metadata.strata_version ?? ''}`.trim());
    }
    writeFolderAtomic(out, files);
    return { ...base, files: files.map((f) => f.name), bytes: files.reduce((n, f) => n + fileBytes(f), 0) };
  } catch (e) {
    if (e instanceof ExportError) throw new ExportRefusedError(`run ${run.id} cannot be exported as ${req.format}: ${e.message}`);
    throw e;
  }
}
