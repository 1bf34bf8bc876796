import { BACKEND_REQUESTS, isOpenEnded, type BackendRequest } from '../../../shared/runs/request';
import { describePostprocess } from '../../../shared/runs/postprocess';
import type { RunRecord, RunSummary } from '../../../shared/runs/types';
import { runOnce } from '../../lab/runRunner';
import { rewindToBeforeJump } from '../../runs/rewind';
import { RunClaimedError } from '../../runs/errors';
import { thisProcessOwner } from '../../runs/liveness';
import { alreadyTrainedMessage, RunStore } from '../../runs/store';
import { finalizeRun } from '../../training/finalize';
import { choiceArg, CliError, numberArg, parseCommandArgs, printJson } from '../args';
import { formatDuration, ProgressPrinter } from '../progress';
import { runsDirArg } from '../runsDir';

const OPTIONS = {
  'runs-dir': { type: 'string' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  yes: { type: 'boolean' },
  from: { type: 'string' },
  'lr-factor': { type: 'string' },
  again: { type: 'boolean' },
  backend: { type: 'string' },
} as const;

/** `runs list|show|resume|finalize|delete`. */
export async function runsCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('runs', argv, OPTIONS);
  const [action, id, extra] = positionals;
  if (extra !== undefined) throw new CliError(`runs: unexpected argument '${extra}'`);
  const runsDir = runsDirArg(v['runs-dir']);
  const needId = () => {
    if (!id) throw new CliError(`runs ${action}: a run id is required`);
    return id;
  };
  switch (action) {
    case 'list':
      return list(runsDir, numberArg('limit', v.limit, 50, { integer: true, min: 1 }), Boolean(v.json));
    case 'show':
      return show(runsDir, needId(), Boolean(v.json));
    case 'resume': {
      const from = choiceArg('from', v.from, 'last', ['last', 'before-jump'] as const);
      const lrFactor = from === 'before-jump' ? numberArg('lr-factor', v['lr-factor'], 0.1, { min: 1e-6, max: 1 }) : null;
      const backend = v.backend === undefined ? undefined : choiceArg('backend', v.backend, 'auto', BACKEND_REQUESTS);
      return resume(runsDir, needId(), Boolean(v.json), lrFactor, backend);
    }
    case 'finalize':
      return finalize(runsDir, needId(), Boolean(v.json), Boolean(v.again));
    case 'delete':
      return remove(runsDir, needId(), Boolean(v.json));
    default:
      throw new CliError(`runs: expected list, show ID, resume ID, finalize ID or delete ID${action ? `, not '${action}'` : ''}`);
  }
}

function withStore<T>(runsDir: string, fn: (s: RunStore) => T): T {
  const store = RunStore.open(runsDir);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

function getRun(store: RunStore, runsDir: string, id: string): RunRecord {
  let run: RunRecord | null;
  try {
    run = store.get(id);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  if (!run) throw new CliError(`no run '${id}' in ${runsDir}`);
  return run;
}

function list(runsDir: string, limit: number, json: boolean): number {
  const runs = withStore(runsDir, (s) => s.list({ limit }));
  if (json) {
    printJson({ runsDir, runs });
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write(`no runs in ${runsDir}\n`);
    return 0;
  }
  for (const r of runs) process.stdout.write(`${line(r)}\n`);
  return 0;
}

function line(r: RunSummary): string {
  const best = r.best ? `best ${r.best.score.toFixed(4)} @${r.best.epoch + 1}` : 'no epoch yet';
  return `${r.id}  ${r.status.padEnd(11)} ${String(r.epochsDone).padStart(4)}/${isOpenEnded(r.config.epochs) ? '-' : r.config.epochs} ep  ${best.padEnd(16)} ${formatDuration(r.durationMs / 1000).padStart(7)}  ${r.backend?.name ?? '-'}  ${r.name}`;
}

function show(runsDir: string, id: string, json: boolean): number {
  const { run, epochs } = withStore(runsDir, (s) => ({ run: getRun(s, runsDir, id), epochs: s.epochMetrics(id) }));
  if (json) {
    printJson({ ...run, epochMetrics: epochs });
    return 0;
  }
  const c = run.config;
  process.stdout.write(
    [
      `run ${run.id}: ${run.name}`,
      `  status     ${run.status}${run.statusReason ? ` (${run.statusReason})` : ''}`,
      `  design     ${run.arch.name}; init ${c.init}; BN ${c.bnPlacement}`,
      `  data       ${run.dataset.name}${run.dataset.synthetic ? ' (synthetic)' : ''}: ${run.split.train.length} train / ${run.split.val.length} val`,
      `  training   ${isOpenEnded(c.epochs) ? `${c.maxMinutes ?? '-'} min (no epoch limit)` : `${c.epochs} epochs`}${c.maxMinutes !== undefined && !isOpenEnded(c.epochs) ? ` or ${c.maxMinutes} min` : ''}, batch ${c.batch}, ${c.optimizer.name} lr ${c.optimizer.lr}, loss ${c.loss.name}, seed ${run.seed}`,
      `  backend    ${run.backend ? `${run.backend.name} (${run.backend.detail})` : '-'}`,
      `  progress   ${run.epochsDone} epoch(s), ${formatDuration(run.durationMs / 1000)}${run.best ? `; best score ${run.best.score.toFixed(4)} at epoch ${run.best.epoch + 1}` : ''}`,
      `  postproc.  ${run.postprocess ? `${describePostprocess(run.postprocess)}; validation score ${run.postprocess.valScore.toFixed(4)} (tuned on it)` : 'none chosen yet (strata runs finalize ID)'}`,
      ...(run.test ? [`  test       score ${run.test.score.toFixed(4)} on ${run.test.images} held-out images (empty ${run.test.emptyScore?.toFixed(4) ?? '-'}, salt ${run.test.saltScore?.toFixed(4) ?? '-'}, mean IoU ${run.test.meanIoU.toFixed(4)})`] : []),
      ...epochs.map((e) => `    epoch ${e.epoch + 1}: loss ${e.trainLoss.toFixed(4)} val loss ${e.valLoss.toFixed(4)} IoU ${e.valIoU.toFixed(3)} score ${e.valScore.toFixed(4)}`),
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * Continues a run from its last checkpoint, on `backend` when given (else the run's own); with
 * `lrFactor`, first rewinds it to the checkpoint kept from before a loss jump (the note's wrong step)
 * with the learning rate scaled.
 */
async function resume(runsDir: string, id: string, json: boolean, lrFactor: number | null, backend?: BackendRequest): Promise<number> {
  const run = withStore(runsDir, (s) => getRun(s, runsDir, id));
  // A first look; the trainer's claim is what decides when two resumes race.
  const owner = withStore(runsDir, (s) => s.ownerOf(id));
  if (owner && !owner.gone) throw new CliError(alreadyTrainedMessage(id, owner.pid));
  if (lrFactor !== null) {
    withStore(runsDir, (s) => {
      try {
        rewindToBeforeJump(s, id, lrFactor);
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err));
      }
    });
  } else if (run.status === 'done') throw new CliError(`run ${id} is already done (${run.epochsDone} epochs)`);
  if (!run.lastCheckpoint) throw new CliError(`run ${id} has no checkpoint yet; start a new run instead`);
  const printer = new ProgressPrinter();
  let result: Awaited<ReturnType<typeof runOnce>>;
  try {
    result = await runOnce({ runsDir, runId: id, ...(backend === undefined ? {} : { backend }) }, (m) => printer.handle(m));
  } catch (err) {
    if (err instanceof RunClaimedError) throw new CliError(err.message);
    throw err;
  }
  if (json) printJson(result);
  else process.stdout.write(`run ${id}: ${result.status}${result.reason ? ` (${result.reason})` : ''}; ${result.epochsDone} epoch(s)\n`);
  return result.status === 'done' || result.status === 'stopped' ? 0 : 1;
}

/**
 * Chooses the post-processing of a trained run that has none (stopped by the user, trained before
 * it existed, or its finalize failed), exactly as the end of training does (training/finalize.ts):
 * on its validation split, then its test split scored once. A run that has one is left as it is.
 */
async function finalize(runsDir: string, id: string, json: boolean, again: boolean): Promise<number> {
  const store = RunStore.open(runsDir);
  let result: Awaited<ReturnType<typeof finalizeRun>>;
  try {
    const run = getRun(store, runsDir, id);
    const owner = store.ownerOf(id);
    if (owner && !owner.gone) throw new CliError(alreadyTrainedMessage(id, owner.pid));
    // Choosing again sees the same validation images and checkpoints, so it cannot tune on the test split.
    if (run.postprocess && !again) {
      throw new CliError(`run ${id} already has its post-processing (chosen ${new Date(run.postprocess.at).toISOString()}): ${describePostprocess(run.postprocess)}; pass --again to choose it again`);
    }
    // Held until the choice is stored: no other process starts training the run meanwhile.
    const hold = store.holdRun(id, thisProcessOwner(), `choosing the post-processing of run ${id}`);
    if (!hold.ok) throw new CliError(hold.message);
    process.stderr.write(`finalizing run ${id} on its ${run.split.val.length} validation images\n`);
    try {
      result = await finalizeRun(store, id, { log: (m) => process.stderr.write(`${m}\n`) });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    } finally {
      hold.release();
    }
  } finally {
    store.close();
  }
  if (json) printJson({ runId: id, postprocess: result.postprocess, test: result.test });
  else {
    const t = result.test;
    process.stdout.write(
      `run ${id}: ${describePostprocess(result.postprocess)}; validation score ${result.postprocess.valScore.toFixed(4)} (tuned on it)` +
        `${t ? `; test score ${t.score.toFixed(4)} on ${t.images} held-out images` : ''}\n`,
    );
  }
  return 0;
}

function remove(runsDir: string, id: string, json: boolean): number {
  withStore(runsDir, (s) => {
    const run = getRun(s, runsDir, id);
    if (run.status === 'running' || run.status === 'paused') throw new CliError(`run ${id} is ${run.status}; stop it before deleting it`);
    s.delete(id);
  });
  if (json) printJson({ deleted: id });
  else process.stdout.write(`deleted run ${id}\n`);
  return 0;
}
