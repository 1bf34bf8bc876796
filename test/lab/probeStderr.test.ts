/**
 * The backend probe completes tfjs-node-gpu's reason with TensorFlow's loader lines from the probe
 * process's stderr (libtensorflow writes them to fd 2, out of JavaScript's reach). The trainer here
 * is a stand-in (test/lab/fixtures/gpuLoaderTrainer.ts) started by the real fork launcher, because
 * tfjs-node-gpu is not installed on this machine; the capture and the parent's completion are real.
 * A run's own backend report, and the reason of a run that failed, are completed the same way.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrainerMessage } from '../../shared/training/protocol';
import { runOnce } from '../../src-main/lab/runRunner';
import { forkLauncher, probeBackendInTrainer, setTrainerLauncher } from '../../src-main/lab/trainerHost';
import { RunStore } from '../../src-main/runs/store';
import { scratchDir } from '../runs/helpers';
import { sampleInit } from '../runs/sample';

const fake = fileURLToPath(new URL('./fixtures/gpuLoaderTrainer.ts', import.meta.url));
afterEach(() => setTrainerLauncher(forkLauncher));

describe('the backend probe', () => {
  it("names TensorFlow's own reason for the GPU backend, not just 'no CUDA device'", async () => {
    setTrainerLauncher((entry, env) => forkLauncher({ file: fake, execArgv: entry.execArgv }, env));
    const r = await probeBackendInTrainer({ timeoutMs: 60_000 });
    expect(r.type).toBe('probe-result');
    if (r.type !== 'probe-result') return;
    const gpu = r.skipped.find((s) => s.name === 'tfjs-node-gpu');
    expect(gpu?.reason).toMatch(/^no CUDA device; TensorFlow: Could not load dynamic library 'libcudart\.so\.11\.0'; dlerror: libcudart\.so\.11\.0: cannot open shared object file/);
    expect(gpu?.reason).toContain('failed call to cuInit: UNKNOWN ERROR (303)');
    expect(gpu?.reason).not.toContain('LD_LIBRARY_PATH');
    expect(r.backend.name).toBe('tfjs-node');
  });
});

/** Trains a fresh run of a scratch store with the stand-in in `mode`; what its driver heard and what the store keeps. */
async function fakeRun(mode: 'auto' | 'forced-gpu' | 'native') {
  setTrainerLauncher((entry, env) => forkLauncher({ file: fake, execArgv: entry.execArgv }, { ...env, STRATA_FAKE_RUN: mode }));
  const runsDir = scratchDir(`gpu-${mode}`);
  const store = RunStore.open(runsDir);
  const runId = store.createRun(sampleInit()).id;
  store.close();
  const messages: TrainerMessage[] = [];
  const outcome = await runOnce({ runsDir, runId }, (m) => messages.push(m));
  const after = RunStore.open(runsDir);
  try {
    return { messages, outcome, stored: after.summary(runId) };
  } finally {
    after.close();
  }
}

describe("a run's backend and failure reasons", () => {
  it("the run's backend message names TensorFlow's loader lines for the skipped GPU", async () => {
    const { messages, outcome } = await fakeRun('auto');
    const backend = messages.find((m) => m.type === 'backend');
    expect(backend?.type).toBe('backend');
    if (backend?.type !== 'backend') return;
    expect(backend.name).toBe('tfjs-node');
    const gpu = backend.skipped.find((s) => s.name === 'tfjs-node-gpu');
    expect(gpu?.reason).toMatch(/^no CUDA device; TensorFlow: Could not load dynamic library 'libcudart\.so\.11\.0'; dlerror: libcudart\.so\.11\.0: cannot open shared object file/);
    expect(gpu?.reason).toContain('failed call to cuInit: UNKNOWN ERROR (303)');
    expect(gpu?.reason).not.toContain('LD_LIBRARY_PATH');
    // Messages keep their order while the backend report waits for stderr.
    expect(messages.map((m) => m.type)).toEqual(['status', 'backend', 'status', 'ended']);
    expect(outcome.status).toBe('done');
    expect(outcome.reason).toBeNull();
  });

  it("a forced tfjs-node-gpu that cannot load fails with TensorFlow's reason, in the messages and the stored record", async () => {
    const { messages, outcome, stored } = await fakeRun('forced-gpu');
    const expected = /^Backend 'tfjs-node-gpu' is unavailable: no CUDA device; TensorFlow: Could not load dynamic library 'libcudart\.so\.11\.0'/;
    expect(stored.status).toBe('failed');
    expect(stored.statusReason).toMatch(expected);
    expect(stored.statusReason).toContain("Could not load dynamic library 'libcuda.so.1'");
    expect(outcome.reason).toBe(stored.statusReason);
    const ended = messages.find((m) => m.type === 'ended');
    const status = messages.find((m) => m.type === 'status' && m.status === 'failed');
    expect(ended?.type === 'ended' ? ended.reason : null).toBe(stored.statusReason);
    expect(status?.type === 'status' ? status.reason : null).toBe(stored.statusReason);
    // Loader lines only, not the whole stderr a second time.
    expect(stored.statusReason).not.toContain('last stderr');
    expect(stored.statusReason).not.toContain('oneDNN');
  });

  it("a trainer's own failure keeps what a native library wrote to stderr, without stack frames or info lines", async () => {
    const { messages, stored } = await fakeRun('native');
    expect(stored.status).toBe('failed');
    expect(stored.statusReason).toBe(
      "tfjs could not initialise the 'tensorflow' backend; last stderr: Initialization of backend tensorflow failed | Error: libtensorflow_framework.so.2: cannot allocate memory in static TLS block",
    );
    const ended = messages.find((m) => m.type === 'ended');
    expect(ended?.type === 'ended' ? ended.reason : null).toBe(stored.statusReason);
  });
});
