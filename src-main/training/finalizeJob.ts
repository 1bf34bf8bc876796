/**
 * The `finalize` job of a trainer process: chooses run `runId`'s post-processing and scores its test
 * split once with finalizeRun, the step the end of training runs, and stores both with the run. The
 * lab asks for it for runs whose training ended without it (or to choose again); it runs here
 * because the lab itself never loads tfjs.
 */
import type { FinalizeJob, FinalizeReply } from '../../shared/training/protocol';
import { RunStore } from '../runs/store';
import { finalizeRun } from './finalize';

/** Runs `job`, writing progress lines through `log`; resolves with what was chosen or the reason it failed. */
export async function runFinalizeJob(job: FinalizeJob, log: (message: string) => void): Promise<FinalizeReply> {
  let store: RunStore | null = null;
  try {
    store = RunStore.open(job.runsDir);
    const { postprocess, test } = await finalizeRun(store, job.runId, { log });
    return { type: 'finalize-result', postprocess, test };
  } catch (e) {
    return { type: 'finalize-failed', message: e instanceof Error ? e.message : String(e) };
  } finally {
    store?.close();
  }
}
