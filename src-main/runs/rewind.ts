import type { RunSummary } from '../../shared/runs/types';
import { RunInputError } from './errors';
import type { RunStore } from './store';

/**
 * Rewinds a run to the checkpoint kept from before a loss jump (the note's "wrong step"), so that a
 * resume continues from there with its learning rate scaled by `lrFactor`: that checkpoint becomes
 * the last one (the replaced last stays as its previous generation), metrics past it are dropped,
 * and the scale is recorded in the checkpoint so later resumes keep it.
 */
export function rewindToBeforeJump(store: RunStore, id: string, lrFactor: number): RunSummary {
  if (!(lrFactor > 0 && lrFactor <= 1)) throw new RunInputError(`the learning-rate factor must be in (0, 1], got ${lrFactor}`);
  const ckpt = store.loadCheckpoint(id, 'before-jump');
  if (!ckpt) throw new RunInputError(`run ${id} has no checkpoint from before a loss jump`);
  const extra = ckpt.extra ?? {};
  const scale = (extra.lrScale ?? 1) * lrFactor;
  const lr = extra.lr === undefined ? undefined : extra.lr * lrFactor;
  store.saveCheckpoint(id, 'last', { ...ckpt, extra: { ...extra, lrScale: scale, ...(lr === undefined ? {} : { lr }) } });
  // A checkpoint's step counts the steps done; batch metrics number them from 0.
  store.rewind(id, { epoch: ckpt.epoch, step: ckpt.step - 1 });
  const summary = store.update(id, { epochsDone: ckpt.epoch + 1, lastCheckpoint: { epoch: ckpt.epoch, step: ckpt.step } });
  store.addEvent(id, {
    time: Date.now(),
    epoch: ckpt.epoch,
    step: ckpt.step,
    type: 'rewound',
    message: `rewound to the checkpoint of epoch ${ckpt.epoch + 1}, before the loss jump; learning rate x${lrFactor} (now x${Number(scale.toPrecision(6))} of the configured one)`,
    data: { lrFactor, lrScale: scale },
  });
  return summary;
}
