/**
 * The backend probe completes tfjs-node-gpu's reason with TensorFlow's loader lines from the probe
 * process's stderr (libtensorflow writes them to fd 2, out of JavaScript's reach). The trainer here
 * is a stand-in (test/lab/fixtures/gpuLoaderTrainer.ts) started by the real fork launcher, because
 * tfjs-node-gpu is not installed on this machine; the capture and the parent's completion are real.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { forkLauncher, probeBackendInTrainer, setTrainerLauncher } from '../../src-main/lab/trainerHost';

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
