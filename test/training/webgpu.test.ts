/**
 * The webgpu backend (src-main/training/webgpu.ts) on SwiftShader, the Vulkan driver that Debian's
 * chromium package brings (chromium-common: /usr/lib/chromium/vk_swiftshader_icd.json). Dawn finds
 * it only in a process started with VK_ICD_FILENAMES naming it and its folder on LD_LIBRARY_PATH
 * (the dynamic loader reads LD_LIBRARY_PATH at process start, and Dawn dlopens libvulkan.so.1 from
 * there), so each group runs test/training/webgpuChild.ts in a child process with both set.
 * SwiftShader runs WebGPU on the CPU: the figures it gives are not GPU figures, and none is asserted.
 *
 * Tolerance: the largest absolute difference from the cpu backend over the largest absolute cpu value
 * (float32 sums in another order): 1e-5 for one kernel and its gradients, 2e-5 through a whole
 * U-Net step. Measured on SwiftShader with Strata's kernels: at most 7.0e-7 (an input gradient at
 * 64 channels) and 2.5e-6 (tfjs's own kernels: 7.2e-7 and 1.9e-6).
 */
import { describe, expect, it } from 'vitest';
import type { BackendReport } from '../../src-main/training/backend';
import { describeAdapter, softwareAdapterReason, SYNC_READ_UNAVAILABLE, type GpuAdapterInfo } from '../../src-main/training/webgpu';
import { swiftShaderChild, swiftShaderMissing } from '../helpers/swiftShader';

const KERNEL_TOLERANCE = 1e-5;
const STEP_TOLERANCE = 2e-5;
if (swiftShaderMissing !== null) console.warn(`webgpu tests on SwiftShader skipped: ${swiftShaderMissing}`);

/** Runs webgpuChild.ts `job` with SwiftShader named, and parses the JSON on its last stdout line. */
function child<T>(job: string): Promise<T> {
  return swiftShaderChild<T>('test/training/webgpuChild.ts', [job]);
}

const info = (o: Partial<GpuAdapterInfo>): GpuAdapterInfo => ({ vendor: '', architecture: '', device: '', description: '', fallback: false, ...o });

describe('which adapters automatic selection takes', () => {
  it('passes over software renderers and fallback adapters', () => {
    const swiftShader = info({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', fallback: true });
    expect(softwareAdapterReason(swiftShader)).toBe('a software renderer, not a GPU');
    // The names alone decide, where a driver does not say it is a fallback.
    expect(softwareAdapterReason({ ...swiftShader, fallback: false })).toBe('a software renderer, not a GPU');
    expect(softwareAdapterReason(info({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe('a software renderer, not a GPU');
    expect(softwareAdapterReason(info({ description: 'Microsoft Basic Render Driver' }))).toBe('a software renderer, not a GPU');
    expect(softwareAdapterReason(info({ vendor: 'intel', architecture: 'gen-12lp', fallback: true }))).toBe('a fallback adapter, not a GPU');
  });

  it('takes GPUs', () => {
    expect(softwareAdapterReason(info({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }))).toBeNull();
    expect(softwareAdapterReason(info({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' }))).toBeNull();
    expect(softwareAdapterReason(info({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' }))).toBeNull();
  });

  it('names the adapter by its description, vendor and architecture', () => {
    expect(describeAdapter(info({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }))).toBe('NVIDIA H200 (nvidia hopper)');
    expect(describeAdapter(info({ device: 'some-device' }))).toBe('some-device');
  });
});

interface SelectResult {
  auto: BackendReport;
  forced: BackendReport;
  tfBackend: string;
  syncRead: string;
  asyncRead: number[];
}

describe.skipIf(swiftShaderMissing !== null)('the webgpu backend on SwiftShader', () => {
  it('finds SwiftShader, passes it over automatically and takes it when forced, naming the adapter', async () => {
    const r = await child<SelectResult>('select');
    expect(r.auto.name).not.toBe('webgpu');
    expect(r.auto.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/^Dawn's adapter is SwiftShader driver [\d.]+ \(google swiftshader\): a software renderer, not a GPU \(--backend webgpu forces it\)$/);
    expect(r.forced).toMatchObject({ name: 'webgpu', tfBackend: 'webgpu', skipped: [] });
    expect(r.forced.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader', fallback: true });
    expect(r.forced.adapter?.description).toMatch(/^SwiftShader driver/);
    expect(r.forced.detail).toMatch(/^SwiftShader driver [\d.]+ \(google swiftshader\) · software, not a GPU$/);
    expect(r.tfBackend).toBe('webgpu');
    // Node has no OffscreenCanvas: synchronous reads fail with what it means, asynchronous ones work.
    expect(r.syncRead).toBe(SYNC_READ_UNAVAILABLE);
    // Training reads asynchronously, so the only caveat is the software adapter's speed.
    expect(r.forced.notes).toEqual([`${describeAdapter(r.forced.adapter as GpuAdapterInfo)} is a software renderer, not a GPU: far slower than the wasm backend`]);
    expect(r.asyncRead).toEqual([2, 2]);
  }, 60_000);

  it(`computes conv2d, its input, filter and bias gradients, conv2dTranspose, batch norm + relu (tfjs's ops and Strata's fused kernel) as the cpu backend does (within ${KERNEL_TOLERANCE}), on Strata's kernels`, async () => {
    type Result = { name: string; errors: Record<string, number>; kernels: Record<string, number>; strata: Record<string, number> };
    const { results, strataKernels } = await child<{ results: Result[]; strataKernels: string[] }>('kernels');
    // Strata's webgpu kernels (src-main/training/webgpuKernels.ts) are registered in place of tfjs's.
    expect(strataKernels.sort()).toEqual(['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedConv2D', 'Mean', 'StrataBatchNormTrain', 'StrataBatchNormTrainGrad', 'Sum']);
    expect(results).toHaveLength(12);
    for (const r of results) {
      expect(Object.keys(r.errors).length, r.name).toBeGreaterThanOrEqual(3);
      for (const [output, error] of Object.entries(r.errors)) expect(error, `${r.name}: ${output}`).toBeLessThanOrEqual(KERNEL_TOLERANCE);
      // Every conv kernel call ran Strata's program (none kept tfjs's): the GEMM forward, the phase
      // GEMM for the input gradient (conv2dTranspose's forward), the split-K filter gradient.
      const calls = (name: string) => r.kernels[name] ?? 0;
      expect(r.strata['strataConv2D'] ?? 0, `${r.name}: Conv2D`).toBe(calls('Conv2D') + calls('FusedConv2D'));
      expect(r.strata['strataConv2DDerInput'] ?? 0, `${r.name}: Conv2DBackpropInput`).toBe(calls('Conv2DBackpropInput'));
      expect(r.strata['strataConv2DDerFilter'] ?? 0, `${r.name}: Conv2DBackpropFilter`).toBe(calls('Conv2DBackpropFilter'));
      // The bias gradients and batch norm's sums over N, H, W are Strata's column sums.
      if (r.name.startsWith('conv2d ') || r.name.startsWith('batch norm')) expect(r.strata['strataColumnSumPartial'], r.name).toBeGreaterThanOrEqual(1);
      // The fused batch norm: 4 dispatches a forward call, 5 a gradient.
      expect(r.strata['strataBatchNormApply'] ?? 0, `${r.name}: StrataBatchNormTrain`).toBe(calls('StrataBatchNormTrain'));
      expect(r.strata['strataBatchNormGradDx'] ?? 0, `${r.name}: StrataBatchNormTrainGrad`).toBe(calls('StrataBatchNormTrainGrad'));
    }
    for (const r of results.slice(10)) expect(r.kernels['StrataBatchNormTrainGrad'], r.name).toBe(1);
    for (const r of results.slice(0, 8)) expect(r.kernels['Conv2DBackpropFilter'], r.name).toBeGreaterThanOrEqual(1);
    // Every kernel ran on webgpu (none fell back to another backend).
    expect(Object.keys(results[0]?.kernels ?? {})).toEqual(expect.arrayContaining(['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Sum']));
    expect(Object.keys(results[8]?.kernels ?? {})).toEqual(expect.arrayContaining(['FusedBatchNorm', 'Relu', 'Mean']));
  }, 180_000);

  it(`trains the tiny preset (13x13, batch 2) a step as the cpu backend does: loss, every gradient and weight (within ${STEP_TOLERANCE}), tensors and GPU memory flat`, async () => {
    type Compare = { loss: { webgpu: number; cpu: number }; grads: Record<string, number>; weights: Record<string, number> };
    const r = await child<{ weightCount: number; first: Compare; second: Compare; memory: Record<string, number>[] }>('step');
    for (const [step, c] of [['first', r.first], ['second', r.second]] as const) {
      expect(Math.abs(c.loss.webgpu - c.loss.cpu) / Math.abs(c.loss.cpu), `${step} loss`).toBeLessThanOrEqual(STEP_TOLERANCE);
      expect(Object.keys(c.grads), `${step} step's gradients`).toHaveLength(r.weightCount);
      for (const [name, error] of Object.entries(c.grads)) expect(error, `${step} step: gradient of ${name}`).toBeLessThanOrEqual(STEP_TOLERANCE);
    }
    // After the first step every weight and BN statistic; after the second the trainable ones (a batch
    // mean near 0 of differences near float32's precision is no measure of the kernels).
    for (const [name, error] of Object.entries(r.first.weights)) expect(error, `after the first step: ${name}`).toBeLessThanOrEqual(STEP_TOLERANCE);
    for (const [name, error] of Object.entries(r.second.weights)) if (!name.includes('/moving_')) expect(error, `after the second step: ${name}`).toBeLessThanOrEqual(STEP_TOLERANCE);
    const [m1, m2, m3] = r.memory;
    expect(m2?.['numTensors']).toBe(m1?.['numTensors']);
    expect(m3).toEqual(m2);
    expect(m3?.['numBytesInGPU']).toBe(m1?.['numBytesInGPU']);
  }, 300_000);
});
