import { writeSubmission } from '../../data/submission';
import { parseCommandArgs, printJson, requiredArg } from '../args';
import { runsDirArg } from '../runsDir';
import { POSTPROCESS_OPTIONS, postprocessArgs, postprocessReport, predictFolder } from './evalPredictShared';

const OPTIONS = {
  run: { type: 'string' },
  images: { type: 'string' },
  out: { type: 'string' },
  ...POSTPROCESS_OPTIONS,
  'runs-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * `strata predict`: a Kaggle submission for a folder of images, with the run's stored
 * post-processing (checkpoints, flip TTA, threshold, minimum area) unless `--postprocess none`;
 * `--threshold` overrides the threshold.
 */
export async function predictCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('predict', argv, OPTIONS);
  const runId = requiredArg('predict', 'run', v.run);
  const dir = requiredArg('predict', 'images', v.images);
  const out = requiredArg('predict', 'out', v.out);
  const pp = postprocessArgs(v);
  const { ds, prediction } = await predictFolder(runsDirArg(v['runs-dir']), runId, dir, pp);
  const { masks } = prediction;
  writeSubmission(out, ds.ids, masks, ds.height, ds.width);
  let salt = 0;
  const px = ds.height * ds.width;
  for (let i = 0; i < ds.ids.length; i++) if (masks.subarray(i * px, (i + 1) * px).some((m) => m > 0)) salt++;
  const postprocess = postprocessReport(prediction);
  const result = { runId, out, images: ds.ids.length, threshold: postprocess.threshold, withSalt: salt, postprocess };
  if (v.json) printJson(result);
  else process.stdout.write(`wrote ${out}: ${result.images} images, ${salt} with salt, threshold ${postprocess.threshold}, minimum area ${postprocess.minArea}\n`);
  return 0;
}
