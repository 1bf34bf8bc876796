import { EXPORT_CHECKPOINTS, EXPORT_FORMATS } from '../../../shared/export/format';
import { ExportRefusedError, exportRun } from '../../export/exportRun';
import { AtomicWriteError } from '../../runs/atomic';
import { RunStore } from '../../runs/store';
import { choiceArg, CliError, parseCommandArgs, printJson, requiredArg } from '../args';
import { runsDirArg } from '../runsDir';

const OPTIONS = {
  run: { type: 'string' },
  checkpoint: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  'runs-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * `strata export`: one checkpoint of a run (default: its best) as an ONNX file, a tfjs Layers
 * model folder or a Keras script with its weights, with the run's normalisation and threshold in the model's metadata. An existing
 * `--out` is refused unless `--force`; no checkpoint, an unknown format and a design the exporter
 * cannot write are bad input (exit 2), each named.
 */
export async function exportCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('export', argv, OPTIONS);
  const runId = requiredArg('export', 'run', v.run);
  if (v.format === undefined) throw new CliError(`export: --format is required: one of ${EXPORT_FORMATS.join(', ')}`);
  const format = choiceArg('format', v.format, 'onnx', EXPORT_FORMATS);
  const checkpoint = choiceArg('checkpoint', v.checkpoint, 'best', EXPORT_CHECKPOINTS);
  const out = requiredArg('export', 'out', v.out);
  const store = RunStore.open(runsDirArg(v['runs-dir']));
  const started = performance.now();
  try {
    const result = await exportRun(store, { runId, format, checkpoint, out, force: v.force === true });
    const seconds = Math.round((performance.now() - started) / 10) / 100;
    if (v.json) printJson({ ...result, seconds });
    else {
      const what = format === 'onnx' ? 'ONNX model' : format === 'tfjs' ? `tfjs Layers model (${result.files.length} files)` : 'Keras script model.py with weights.npz and metadata.json';
      process.stdout.write(
        `wrote ${result.out}: ${what}, ${(result.bytes / 2 ** 20).toFixed(2)} MiB, run ${runId} ${checkpoint} checkpoint (epoch ${result.epoch + 1}), ` +
          `input_mean ${result.metadata.input_mean}, input_std ${result.metadata.input_std}, threshold ${result.metadata.threshold}${result.replaced ? ' (replaced what was there)' : ''}\n`,
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof ExportRefusedError || e instanceof AtomicWriteError) throw new CliError(e.message);
    throw e;
  } finally {
    store.close();
  }
}
