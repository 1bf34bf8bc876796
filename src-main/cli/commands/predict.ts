import { predictMask } from '../../../shared/metrics';
import { writeSubmission } from '../../data/submission';
import { numberArg, parseCommandArgs, printJson, requiredArg } from '../args';
import { runsDirArg } from '../runsDir';
import { predictFolder } from './evalPredictShared';

const OPTIONS = {
  run: { type: 'string' },
  images: { type: 'string' },
  out: { type: 'string' },
  threshold: { type: 'string' },
  'runs-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * `strata predict`: a Kaggle submission for a folder of images. The threshold defaults to the best
 * one found on the run's validation set at its best epoch.
 */
export async function predictCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('predict', argv, OPTIONS);
  const runId = requiredArg('predict', 'run', v.run);
  const dir = requiredArg('predict', 'images', v.images);
  const out = requiredArg('predict', 'out', v.out);
  const { ds, probs, loaded, tunedThreshold } = await predictFolder(runsDirArg(v['runs-dir']), runId, dir);
  loaded.model.dispose();
  const threshold = numberArg('threshold', v.threshold, tunedThreshold ?? 0.5, { min: 0, max: 1 });
  const masks = predictMask(probs, threshold);
  writeSubmission(out, ds.ids, masks, ds.height, ds.width);
  let salt = 0;
  const px = ds.height * ds.width;
  for (let i = 0; i < ds.ids.length; i++) if (masks.subarray(i * px, (i + 1) * px).some((m) => m > 0)) salt++;
  const result = { runId, out, images: ds.ids.length, threshold, withSalt: salt };
  if (v.json) printJson(result);
  else process.stdout.write(`wrote ${out}: ${result.images} images, ${salt} with salt, threshold ${threshold}\n`);
  return 0;
}
