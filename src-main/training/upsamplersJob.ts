/** The trainer process's `upsamplers` command: the note's checkerboard test of a design at initialisation. */
import { withBnPlacement, withInitializer } from '../../shared/arch';
import type { UpsamplersJob, UpsamplersReply } from '../../shared/training/protocol';
import { measureUpsamplers } from './analysis/checkerboard';
import { selectBackend } from './backend';
import { UNetModel } from './model';

/** Builds the initialised model and feeds each upsampler a constant, an impulse and noise. Never throws. */
export async function runUpsamplersJob(job: UpsamplersJob): Promise<UpsamplersReply> {
  try {
    await selectBackend();
    const model = new UNetModel(withInitializer(withBnPlacement(job.arch, job.bnPlacement), job.init), job.seed);
    try {
      const responses = (await measureUpsamplers(model, job.seed, { maps: true })).map((r) => ({
        nodeId: r.nodeId,
        input: r.input,
        height: r.shape.h,
        width: r.shape.w,
        score: r.score,
        map: r.map ?? [],
      }));
      return { type: 'upsamplers-result', responses };
    } finally {
      model.dispose();
    }
  } catch (e) {
    return { type: 'upsamplers-failed', message: e instanceof Error ? e.message : String(e) };
  }
}
