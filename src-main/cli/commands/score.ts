import { stat } from 'node:fs/promises';
import { scoreSet } from '../../../shared/metrics';
import path from 'node:path';
import { readMaskFolder, readRleCsv, scoringProblems, type MaskTable, type RleTable } from '../../data/submission';
import { CliError, numberArg, parseCommandArgs, printJson, requiredArg } from '../args';

const OPTIONS = {
  truth: { type: 'string' },
  pred: { type: 'string' },
  size: { type: 'string' },
  lenient: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    throw new CliError(`cannot read '${p}'`);
  }
}

/** What `--lenient` scored as empty predictions. */
interface EmptyScored {
  /** Submission rows whose RLE does not decode (or whose line is not a row). */
  undecodable: number;
  /** Truth ids with no row in the submission. */
  missing: number;
}

/** Why a submission cannot be scored as it is: each problem's line, and how many of each kind (for the summary). */
export interface SubmissionCheck {
  problems: string[];
  /** Kinds of problem with their counts, e.g. `2 ids have no truth`. */
  kinds: string[];
  /** Under `lenient`: the truth ids to score as empty predictions. */
  empty: Set<string>;
  counts: EmptyScored;
}

/**
 * Checks a submission against the truth as Kaggle does: a malformed submission is refused, never
 * scored on the rows that happen to be good. The problems are one line each, by line where there is
 * one; under `lenient`, undecodable rows and missing truth ids are empty predictions instead.
 */
export function submissionProblems(
  truth: MaskTable & { lines?: Map<string, number>; file: string | null },
  pred: RleTable,
  rel: string,
  lenient: boolean,
): SubmissionCheck {
  const tally = new Map<string, number>();
  const count = (kind: string) => tally.set(kind, (tally.get(kind) ?? 0) + 1);
  const truthProblems = scoringProblems(truth.problems, truth.file);
  if (truthProblems.length) tally.set('truth problems', truthProblems.length);
  const problems = truthProblems.map((p) => `truth: ${p.message}`);
  const empty = new Set<string>();
  const counts: EmptyScored = { undecodable: 0, missing: 0 };
  const byLine: { line: number; message: string }[] = [];
  for (const p of pred.problems) {
    // Duplicates are always refused; a row that does not decode is an empty prediction under --lenient.
    const undecodable = p.code === 'bad-rle' || p.code === 'bad-row';
    if (lenient && undecodable) {
      counts.undecodable++;
      continue;
    }
    count(p.code === 'duplicate-id' ? 'duplicate ids' : undecodable ? 'undecodable rows' : 'other problems');
    byLine.push({ line: p.line ?? 0, message: p.message });
  }
  for (const [id, line] of pred.lines) {
    if (!truth.masks.has(id)) {
      count('ids have no truth');
      byLine.push({ line, message: `${rel} line ${line}: ${id} has no truth` });
    } else if (lenient && pred.undecodable.has(id)) empty.add(id);
  }
  problems.push(...byLine.sort((a, b) => a.line - b.line).map((p) => p.message));
  for (const id of truth.masks.keys()) {
    if (pred.lines.has(id)) continue;
    if (lenient) {
      empty.add(id);
      counts.missing++;
      continue;
    }
    count('truth ids without a row');
    const where = truth.lines?.get(id);
    problems.push(`truth id ${id}${where === undefined ? '' : ` (truth line ${where})`} has no row in the submission`);
  }
  return { problems, kinds: [...tally].map(([kind, n]) => `${n} ${kind}`), empty, counts };
}

/**
 * `strata score`: the competition score and mean IoU of a submission against the whole truth. Any
 * problem (an undecodable row, a duplicate id, an id without truth, a truth id without a row, a
 * truth that did not read cleanly) exits 2 with every problem listed; `--lenient` scores undecodable
 * rows and missing ids as empty predictions and says how many. Never a mean over only the good rows.
 */
export async function scoreCommand(argv: string[]): Promise<number> {
  const { values: v } = parseCommandArgs('score', argv, OPTIONS);
  const truthPath = requiredArg('score', 'truth', v.truth);
  const predPath = requiredArg('score', 'pred', v.pred);
  const lenient = v.lenient === true;
  let h = numberArg('size', v.size, 101, { integer: true, min: 1, max: 4096 });
  let w = h;
  // The truth's problems name its file: a CSV's name, or a mask folder's PNGs.
  let truth: MaskTable & { lines?: Map<string, number>; file: string | null };
  if (await isDir(truthPath)) {
    const folder = await readMaskFolder(truthPath);
    if (folder.masks.size === 0) throw new CliError(`${truthPath}: no readable mask PNGs`);
    ({ height: h, width: w } = folder);
    truth = { ...folder, file: null };
  } else {
    truth = { ...(await readRleCsv(truthPath, h, w)), file: path.basename(truthPath) };
    if (truth.problems.some((p) => p.code === 'bad-header' || p.code === 'unreadable')) {
      throw new CliError(`${truthPath}: not a truth file (${truth.problems[0]?.message ?? 'unreadable'})`);
    }
    if (truth.masks.size === 0 && truth.problems.length === 0) throw new CliError(`${truthPath}: has no truth rows`);
  }
  const pred = await readRleCsv(predPath, h, w);
  if (pred.problems.some((p) => p.code === 'bad-header' || p.code === 'unreadable')) {
    throw new CliError(`${predPath}: not a submission file (${pred.problems[0]?.message ?? 'unreadable'})`);
  }
  const { problems, kinds, empty, counts } = submissionProblems(truth, pred, path.basename(predPath), lenient);
  if (problems.length) {
    for (const p of problems) process.stderr.write(`${p}\n`);
    const hint = lenient ? '' : '; --lenient scores undecodable rows and missing ids as empty predictions (duplicates and unknown ids are still refused)';
    throw new CliError(`${predPath}: ${problems.length} problem(s) against ${truthPath} (${kinds.join(', ')}), listed above; nothing was scored${hint}`);
  }
  const ids = [...truth.masks.keys()];
  const px = h * w;
  const truths = new Uint8Array(ids.length * px);
  const probs = new Uint8Array(ids.length * px);
  ids.forEach((id, i) => {
    truths.set(truth.masks.get(id) as Uint8Array, i * px);
    if (empty.has(id)) return;
    const m = pred.masks.get(id) as Uint8Array;
    for (let k = 0; k < px; k++) probs[i * px + k] = m[k] ? 255 : 0;
  });
  const r = scoreSet({ truths, probs, n: ids.length, h, w, threshold: 0.5 });
  const note = `${empty.size} of ${ids.length} images scored as empty predictions (${counts.undecodable} undecodable rows, ${counts.missing} truth ids without a row)`;
  if (lenient) process.stderr.write(`lenient: ${note}\n`);
  const out = {
    score: r.score,
    meanIoU: r.meanIoU,
    pixelIoU: r.pixelIoU,
    images: ids.length,
    emptyScore: r.emptyScore,
    nonEmptyScore: r.nonEmptyScore,
    ...(lenient ? { scoredAsEmpty: counts } : {}),
  };
  if (v.json) printJson(out);
  else {
    const tail = lenient ? `; ${note}` : '';
    process.stdout.write(`score ${r.score.toFixed(4)}  mean IoU ${r.meanIoU.toFixed(4)}  pixel IoU ${r.pixelIoU.toFixed(4)}  (${ids.length} images${tail})\n`);
  }
  return 0;
}
