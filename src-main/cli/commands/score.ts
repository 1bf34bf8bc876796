import { stat } from 'node:fs/promises';
import { scoreSet } from '../../../shared/metrics';
import { readMaskFolder, readRleCsv, type MaskTable } from '../../data/submission';
import { CliError, numberArg, parseCommandArgs, printJson, requiredArg } from '../args';

const OPTIONS = { truth: { type: 'string' }, pred: { type: 'string' }, size: { type: 'string' }, json: { type: 'boolean' } } as const;

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    throw new CliError(`cannot read '${p}'`);
  }
}

function report(what: string, t: MaskTable): void {
  for (const p of t.problems.slice(0, 20)) process.stderr.write(`${what}: ${p.message}\n`);
  if (t.problems.length > 20) process.stderr.write(`${what}: ... and ${t.problems.length - 20} more problems\n`);
}

/**
 * `strata score`: the competition score and mean IoU of a submission against the truth. Every
 * submitted id must have a truth; truth ids missing from the submission are not scored (and said so).
 */
export async function scoreCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('score', argv, OPTIONS);
  const truthPath = requiredArg('score', 'truth', v.truth);
  const predPath = requiredArg('score', 'pred', v.pred);
  let h = numberArg('size', v.size, 101, { integer: true, min: 1, max: 4096 });
  let w = h;
  let truth: MaskTable;
  if (await isDir(truthPath)) {
    const folder = await readMaskFolder(truthPath);
    if (folder.masks.size === 0) throw new CliError(`${truthPath}: no readable mask PNGs`);
    ({ height: h, width: w } = folder);
    truth = folder;
  } else truth = await readRleCsv(truthPath, h, w);
  report(truthPath, truth);
  const pred = await readRleCsv(predPath, h, w);
  report(predPath, pred);
  if (pred.problems.some((p) => p.code === 'bad-header' || p.code === 'unreadable')) {
    throw new CliError(`${predPath}: not a submission file (${pred.problems[0]?.message ?? 'unreadable'})`);
  }
  if (pred.masks.size === 0) throw new CliError(`${predPath}: no usable rows to score`);
  const ids = [...pred.masks.keys()];
  const unknown = ids.filter((id) => !truth.masks.has(id));
  if (unknown.length) {
    throw new CliError(`${predPath}: ${unknown.length} id(s) have no truth in ${truthPath}, e.g. ${unknown.slice(0, 3).join(', ')}`);
  }
  if (truth.masks.size > ids.length) {
    process.stderr.write(`note: ${truth.masks.size - ids.length} truth ids are not in the submission and were not scored\n`);
  }
  const px = h * w;
  const truths = new Uint8Array(ids.length * px);
  const probs = new Uint8Array(ids.length * px);
  ids.forEach((id, i) => {
    truths.set(truth.masks.get(id) as Uint8Array, i * px);
    const m = pred.masks.get(id) as Uint8Array;
    for (let k = 0; k < px; k++) probs[i * px + k] = m[k] ? 255 : 0;
  });
  const r = scoreSet({ truths, probs, n: ids.length, h, w, threshold: 0.5 });
  const out = { score: r.score, meanIoU: r.meanIoU, pixelIoU: r.pixelIoU, images: ids.length, emptyScore: r.emptyScore, nonEmptyScore: r.nonEmptyScore };
  if (v.json) printJson(out);
  else process.stdout.write(`score ${r.score.toFixed(4)}  mean IoU ${r.meanIoU.toFixed(4)}  pixel IoU ${r.pixelIoU.toFixed(4)}  (${ids.length} images)\n`);
  return 0;
}
