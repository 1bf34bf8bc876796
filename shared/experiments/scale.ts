/**
 * The scale an experiment was tested at, read off its stored runs: the data, the split, the budget,
 * the seeds, how many runs count, and each group's design. Every report states it
 * (src-main/experiments/report/markdown.ts) and the lab's experiment view shows the same.
 */
import { isOpenEnded } from '../runs/request';
import type { RunRecord } from '../runs/types';
import { groupDesign, type ExperimentResults } from './results';
import type { Experiment } from './schema';

/** One group's design and training, as its runs stored them. */
export interface GroupScale {
  key: string;
  /** The design's name, conv layers and weights; null without a run (or a design that cannot be summarised). */
  design: string | null;
  convLayers: number | null;
  params: number | null;
  init: string | null;
  bnPlacement: string | null;
  loss: string | null;
  /** Complete runs (counted) and all stored runs. */
  counted: number;
  runs: number;
  /** Fewest and most epochs trained by the counted runs; null without one. */
  epochs: { min: number; max: number } | null;
}

/** An experiment's scale. */
export interface ExperimentScale {
  /** Null when the experiment has no stored run yet. */
  data: {
    /** Each dataset the runs trained on, once: `name: N images (synthetic), fingerprint 0123456789ab`. */
    datasets: string[];
    /** What part of it: `the first 800 ids of the folder`, `the whole folder`, `the demo set (32 samples)`. */
    subset: string;
  } | null;
  /** Each split size, once: `640 train / 160 validation / 0 test images`. */
  splits: string[];
  /** Each per-run budget, once: `10 epochs, batch 16`, `until the time budget, at most 30 min of training, batch 8`. */
  budgets: string[];
  /** The seeds per group: the file's when known, else those of the stored runs. */
  seeds: number[];
  runs: { stored: number; counted: number; missing: number };
  /** Training time of every stored run, in ms. */
  trainingMs: number;
  groups: GroupScale[];
}

function firstRun(r: ExperimentResults): RunRecord | null {
  for (const g of r.groups) {
    const run = g.counted[0] ?? g.runs[0];
    if (run) return run.record;
  }
  return null;
}

/** The values of `f` over every stored run, each once, in order of first appearance. */
function distinct<T>(r: ExperimentResults, f: (run: RunRecord) => T): T[] {
  const out: T[] = [];
  for (const g of r.groups) for (const run of g.runs) if (!out.includes(f(run.record))) out.push(f(run.record));
  return out;
}

/** The scale of results `r`; `experiment` (the file's content, when known) gives the planned seeds; `missing` planned runs have no run yet. */
export function experimentScale(r: ExperimentResults, experiment: Pick<Experiment, 'seeds'> | null, missing: number): ExperimentScale {
  const run = firstRun(r);
  let data: ExperimentScale['data'] = null;
  if (run) {
    const source = run.dataset.source;
    data = {
      datasets: distinct(r, (x) => `${x.dataset.name}: ${x.dataset.count} images${x.dataset.synthetic ? ' (synthetic)' : ''}, fingerprint ${x.dataset.fingerprint.slice(0, 12)}`),
      subset: source.kind === 'folder' ? (source.subset === undefined ? 'the whole folder' : `the first ${source.subset} ids of the folder`) : `the demo set (${source.count} samples)`,
    };
  }
  const budgets = distinct(r, (x) => {
    const epochs = isOpenEnded(x.config.epochs) ? 'until the time budget' : `${x.config.epochs} epochs`;
    return `${epochs}${x.config.maxMinutes === undefined ? '' : `, at most ${x.config.maxMinutes} min of training`}, batch ${x.config.batch}`;
  });
  return {
    data,
    splits: distinct(r, (x) => `${x.split.train.length} train / ${x.split.val.length} validation / ${x.split.test.length} test images`),
    budgets,
    seeds: experiment ? [...experiment.seeds] : distinct(r, (x) => x.experiment?.seed ?? x.seed).sort((a, b) => a - b),
    runs: { stored: r.groups.reduce((n, g) => n + g.runs.length, 0), counted: r.groups.reduce((n, g) => n + g.counted.length, 0), missing },
    trainingMs: r.groups.reduce((n, g) => n + g.runs.reduce((m, x) => m + x.record.durationMs, 0), 0),
    groups: r.groups.map((g) => {
      const d = groupDesign(g);
      const c = (g.counted[0] ?? g.runs[0])?.record.config;
      return {
        key: g.key,
        design: d?.name ?? null,
        convLayers: d?.convLayers ?? null,
        params: d?.params ?? null,
        init: c?.init ?? null,
        bnPlacement: c?.bnPlacement ?? null,
        loss: c?.loss.name ?? null,
        counted: g.counted.length,
        runs: g.runs.length,
        epochs: g.epochs ? { min: g.epochs.min, max: g.epochs.max } : null,
      };
    }),
  };
}
