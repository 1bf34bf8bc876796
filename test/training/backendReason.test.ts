/**
 * Why a native TensorFlow backend could not be used, in TensorFlow's own words: the reason built
 * from the loader lines libtensorflow 2.9.1 (tfjs-node-gpu 4.22) writes to stderr on a machine
 * without CUDA's libraries, and from real loading errors produced here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_CUDA_STDERR, NO_CUDNN_STDERR } from '../fixtures/tfLoaderStderr';
import { gpuReason, isPackageMissing, loadFailureReason, loaderLines, withLoaderLines } from '../../src-main/training/backendReason';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-backend-reason-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("TensorFlow's loader lines", () => {
  it('keeps the lines that say why CUDA did not load, without the log prefix or LD_LIBRARY_PATH', () => {
    expect(loaderLines(NO_CUDA_STDERR)).toEqual([
      "Could not load dynamic library 'libcudart.so.11.0'; dlerror: libcudart.so.11.0: cannot open shared object file: No such file or directory",
      "Could not load dynamic library 'libcuda.so.1'; dlerror: libcuda.so.1: cannot open shared object file: No such file or directory",
      'failed call to cuInit: UNKNOWN ERROR (303)',
      'kernel driver does not appear to be running on this host (lab): /proc/driver/nvidia/version does not exist',
    ]);
  });

  it('drops the lines that report success or say to ignore the error', () => {
    const lines = loaderLines(NO_CUDNN_STDERR);
    expect(lines[0]).toBe("Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such file or directory");
    expect(lines[1]).toMatch(/^Cannot dlopen some GPU libraries\./);
    expect(lines.join('\n')).not.toMatch(/Successfully opened|Ignore above/);
  });

  it("adds them to tfjs-node-gpu's reason ('no CUDA device' alone said nothing)", () => {
    expect(gpuReason('no CUDA device', NO_CUDA_STDERR)).toBe(
      "no CUDA device; TensorFlow: Could not load dynamic library 'libcudart.so.11.0'; dlerror: libcudart.so.11.0: cannot open shared object file: No such file or directory | Could not load dynamic library 'libcuda.so.1'; dlerror: libcuda.so.1: cannot open shared object file: No such file or directory | failed call to cuInit: UNKNOWN ERROR (303) | kernel driver does not appear to be running on this host (lab): /proc/driver/nvidia/version does not exist",
    );
    expect(gpuReason('no CUDA device', 'nothing relevant\n')).toBe('no CUDA device');
    // Nothing of TensorFlow ran when the package is missing: stray lines are not its reason.
    expect(gpuReason('not installed', NO_CUDA_STDERR)).toBe('not installed');
  });

  it('completes only the GPU entry of a probe', () => {
    const skipped = withLoaderLines(
      [
        { name: 'tfjs-node-gpu', reason: 'no CUDA device' },
        { name: 'tfjs-node', reason: 'tfjs-node was loaded first in this process' },
      ],
      NO_CUDNN_STDERR,
    );
    expect(skipped[0]?.reason).toMatch(/^no CUDA device; TensorFlow: Could not load dynamic library 'libcudnn\.so\.8'/);
    expect(skipped[1]).toEqual({ name: 'tfjs-node', reason: 'tfjs-node was loaded first in this process' });
  });
});

describe('loading errors', () => {
  it("calls the real error of importing the absent tfjs-node-gpu 'not installed'", async () => {
    const spec: string = '@tensorflow/tfjs-node-gpu';
    const err = await import(spec).then(
      () => null,
      (e: unknown) => e,
    );
    if (err === null) return; // installed on this machine: nothing to show here
    expect(isPackageMissing(err, spec)).toBe(true);
    expect(loadFailureReason(err, spec)).toBe('not installed');
  });

  /** A package named like tfjs-node-gpu whose native binding is broken as a failed install leaves it. */
  function brokenPackage(binding: 'missing' | 'garbage'): string {
    const root = path.join(tmp, binding);
    const pkg = path.join(root, 'node_modules/@tensorflow/tfjs-node-gpu');
    mkdirSync(path.join(pkg, 'lib/napi-v8'), { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', main: 'index.js' }));
    writeFileSync(path.join(pkg, 'index.js'), "module.exports = require('./lib/napi-v8/tfjs_binding.node');\n");
    if (binding === 'garbage') writeFileSync(path.join(pkg, 'lib/napi-v8/tfjs_binding.node'), 'not a shared object');
    return root;
  }

  function loadError(root: string): unknown {
    try {
      createRequire(path.join(root, 'index.js'))('@tensorflow/tfjs-node-gpu');
    } catch (e) {
      return e;
    }
    throw new Error('the broken package loaded');
  }

  it("calls a missing binding file a broken install, not 'not installed' (its path names the package)", () => {
    const err = loadError(brokenPackage('missing'));
    expect((err as { code?: string }).code).toBe('MODULE_NOT_FOUND');
    expect(isPackageMissing(err, '@tensorflow/tfjs-node-gpu')).toBe(false);
    expect(loadFailureReason(err, '@tensorflow/tfjs-node-gpu')).toBe("libtensorflow failed to load: Cannot find module './lib/napi-v8/tfjs_binding.node'");
  });

  it("passes on the dynamic loader's own message for a binding that cannot be loaded", () => {
    const root = brokenPackage('garbage');
    const reason = loadFailureReason(loadError(root), '@tensorflow/tfjs-node-gpu');
    expect(reason.startsWith(`libtensorflow failed to load: ${path.join(root, 'node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node')}`)).toBe(true);
    // glibc's dlopen: "invalid ELF header" (musl and macOS word it differently).
    if (process.platform === 'linux') expect(reason).toMatch(/invalid ELF header|file too short/);
    expect(reason).not.toContain('\n');
  });
});
