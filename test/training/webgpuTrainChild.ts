/**
 * Runs in a child process of test/training/webgpuTrain.test.ts, started with SwiftShader named
 * (test/helpers/swiftShader.ts). `node --import tsx webgpuTrainChild.ts RUNS_DIR RUN_ID` trains that
 * run of a webgpu design in this process, as the trainer process does (trainRun), and destroys the
 * webgpu device as soon as its first epoch is reported (checkpoint stored): Dawn then reports the
 * device lost with reason 'destroyed', as it would a driver reset. Prints one JSON line: how the
 * session ended and after which epoch the device was destroyed.
 */
import type { TrainerMessage } from '../../shared/training/protocol';
import { LoopControl } from '../../src-main/training/loop';
import { trainRun } from '../../src-main/training/trainer';
import { destroyWebgpuDevice } from '../../src-main/training/webgpu';

const [runsDir, runId] = process.argv.slice(2);
if (runsDir === undefined || runId === undefined) throw new Error('usage: webgpuTrainChild.ts RUNS_DIR RUN_ID');
let destroyedAfterEpoch: number | null = null;
let ended: TrainerMessage | null = null;
const status = await trainRun({ runsDir, runId }, new LoopControl(), (m) => {
  if (m.type === 'epoch' && destroyedAfterEpoch === null) {
    if (!destroyWebgpuDevice()) throw new Error('the run trains without a webgpu device');
    destroyedAfterEpoch = m.metric.epoch;
  }
  if (m.type === 'ended') ended = m;
});
process.stdout.write(`${JSON.stringify({ status, ended, destroyedAfterEpoch })}\n`);
