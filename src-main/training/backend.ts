/**
 * Start-up choice of the tfjs backend: the fastest one that actually works on this machine,
 * in the order tfjs-node-gpu (only with a CUDA device), webgpu (only on a GPU, see webgpu.ts),
 * tfjs-node, wasm, cpu — or a forced one.
 * The native packages are optional dependencies, so each is probed with a dynamic import and
 * the reason it was passed over is kept for the UI and the run log.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BackendWasm, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
// tfjs-core's Node build registers no gradients; the union package's Node build registers all of
// tfjs's own, on this same tfjs-core (the native packages bring it too).
import '@tensorflow/tfjs';
import { backendUnavailableMessage, errorMessage, loadFailureReason } from './backendReason';
import { registerGradientFixes } from './gradientFixes';
import { registerWasmTrainingKernels } from './wasm/register';
import { simdKernels } from './wasm/simd-kernels';
import { startWasm, type WasmThreadOptions } from './wasm/threads';
import { describeAdapter, findWebgpuAdapter, registerWebgpuBackend, softwareAdapterReason, type GpuAdapterInfo } from './webgpu';

/** The backends the lab can train on, fastest first. */
export type BackendName = 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'wasm' | 'cpu';

/** The selection order. */
export const BACKEND_ORDER: readonly BackendName[] = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'];

/** What `selectBackend` chose and why the faster ones were passed over. */
export interface BackendReport {
  name: BackendName;
  /** The name tfjs knows the backend by ('tensorflow', 'webgpu', 'wasm', 'cpu'). */
  tfBackend: string;
  /** Short human detail, e.g. 'CUDA', '2 threads · SIMD'. */
  detail: string;
  threads: number;
  skipped: { name: BackendName; reason: string }[];
  /** Caveats about the chosen backend, e.g. why wasm runs on fewer threads than cores. */
  notes?: string[];
  /** webgpu only: the adapter Dawn gave. */
  adapter?: GpuAdapterInfo;
}

/** Thrown when a forced backend cannot be used; `reason` says why. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  constructor(
    readonly backend: BackendName,
    readonly reason: string,
  ) {
    super(backendUnavailableMessage(backend, reason));
  }
}

type Probe = { ok: true; report: Omit<BackendReport, 'skipped'> } | { ok: false; reason: string };

const NATIVE_PACKAGES = { 'tfjs-node-gpu': '@tensorflow/tfjs-node-gpu', 'tfjs-node': '@tensorflow/tfjs-node' } as const;

/** Which native package, if any, has registered the 'tensorflow' backend in this process. */
let nativeLoadedFrom: keyof typeof NATIVE_PACKAGES | null = null;

async function importNative(name: keyof typeof NATIVE_PACKAGES): Promise<string | null> {
  const spec: string = NATIVE_PACKAGES[name];
  try {
    // A variable specifier: the packages are optional, so the type checker must not require them.
    await import(spec);
    nativeLoadedFrom ??= name;
    return null;
  } catch (err) {
    // 'not installed' only when the package itself is absent; a broken install names the loader's error
    // (TensorFlow's own lines from fd 2 are added by the parent process, see backendReason.ts).
    return loadFailureReason(err, spec);
  }
}

/** Reads the tfjs-node backend's GPU flag (a boolean property; a method in some versions). */
function usesGpu(backend: unknown): boolean {
  if (typeof backend !== 'object' || backend === null || !('isUsingGpuDevice' in backend)) return false;
  const flag: unknown = (backend as { isUsingGpuDevice: unknown }).isUsingGpuDevice;
  if (typeof flag === 'function') return (flag as () => unknown).call(backend) === true;
  return flag === true;
}

async function activate(tfBackend: string): Promise<string | null> {
  try {
    // setBackend reports a failed initialisation as `false` (and logs why), not as a throw.
    return (await tf.setBackend(tfBackend)) ? null : `tfjs could not initialise the '${tfBackend}' backend`;
  } catch (err) {
    return errorMessage(err);
  }
}

async function probeNative(name: keyof typeof NATIVE_PACKAGES): Promise<Probe> {
  if (nativeLoadedFrom !== null && nativeLoadedFrom !== name) {
    // Both packages register the same 'tensorflow' backend; the first one loaded owns it for the whole process.
    if (name === 'tfjs-node-gpu') return { ok: false, reason: 'tfjs-node was loaded first in this process' };
  } else {
    const failure = await importNative(name);
    if (failure !== null) return { ok: false, reason: failure };
  }
  const failure = await activate('tensorflow');
  if (failure !== null) return { ok: false, reason: failure };
  const gpu = usesGpu(tf.backend());
  if (name === 'tfjs-node-gpu') {
    // Without a GPU, libtensorflow's loader has said why on fd 2 (a missing libcudart, say); the
    // parent process adds those lines to this reason (backendReason.ts).
    return gpu
      ? { ok: true, report: { name, tfBackend: 'tensorflow', detail: 'CUDA', threads: os.availableParallelism() } }
      : { ok: false, reason: 'no CUDA device' };
  }
  const detail = nativeLoadedFrom === 'tfjs-node-gpu' ? 'CPU (libtensorflow of tfjs-node-gpu, no CUDA device)' : 'CPU';
  // libtensorflow sizes its thread pools to the cores by default.
  return { ok: true, report: { name, tfBackend: 'tensorflow', detail, threads: os.availableParallelism() } };
}

let wasmPathsSet = false;

async function probeWasm(threads: WasmThreadOptions | undefined): Promise<Probe> {
  if (!wasmPathsSet) {
    try {
      // Under Node the .wasm binaries are read from disk: point tfjs at the package's dist folder.
      const wasmFile = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
      setWasmPaths(path.dirname(wasmFile) + path.sep);
      wasmPathsSet = true;
    } catch (err) {
      return { ok: false, reason: `wasm binaries not found: ${errorMessage(err)}` };
    }
  }
  registerWasmTrainingKernels();
  const start = await startWasm(threads);
  if (!start.ok) return { ok: false, reason: start.reason };
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const n = start.threads;
  const detail = `${n} thread${n === 1 ? '' : 's'} · ${simd === true ? 'SIMD' : 'no SIMD'}`;
  const notes = [...start.notes];
  // Strata's own SIMD kernels (wasm/kernels.wat), started now so that a problem shows with the backend.
  const backend = tf.backend();
  const kernels = backend instanceof BackendWasm ? simdKernels(backend) : null;
  if (kernels === null) {
    const why = process.env['STRATA_SIMD_KERNELS'] === '0' ? 'turned off by STRATA_SIMD_KERNELS=0' : 'cannot run here (no WebAssembly SIMD)';
    notes.push(`Strata's SIMD training kernels ${why}; slower JavaScript and XNNPACK kernels run instead`);
  }
  else if (kernels.note !== null) notes.push(kernels.note);
  return { ok: true, report: { name: 'wasm', tfBackend: 'wasm', detail, threads: n, notes } };
}

/**
 * webgpu: automatically only on a GPU; forced, on any adapter Dawn gives, software ones included,
 * with the caveat noted. Training reads its tensors asynchronously (read.ts), which tfjs's webgpu
 * backend can do in Node; it cannot read synchronously there (webgpu.ts, SYNC_READ_UNAVAILABLE).
 */
async function probeWebgpu(forced: boolean): Promise<Probe> {
  const found = await findWebgpuAdapter();
  if (!found.ok) return { ok: false, reason: found.reason };
  const adapter = describeAdapter(found.info);
  const software = softwareAdapterReason(found.info);
  if (software !== null && !forced) return { ok: false, reason: `Dawn's adapter is ${adapter}: ${software} (--backend webgpu forces it)` };
  const failure = (await registerWebgpuBackend(found)) ?? (await activate('webgpu'));
  if (failure !== null) return { ok: false, reason: failure };
  const notes: string[] = [];
  if (software !== null) notes.push(`${adapter} is ${software}: far slower than the wasm backend`);
  const detail = software === null ? adapter : `${adapter} · software, not a GPU`;
  return { ok: true, report: { name: 'webgpu', tfBackend: 'webgpu', detail, threads: 1, notes, adapter: found.info } };
}

async function probeCpu(): Promise<Probe> {
  const failure = await activate('cpu');
  if (failure !== null) return { ok: false, reason: failure };
  return { ok: true, report: { name: 'cpu', tfBackend: 'cpu', detail: 'plain JavaScript', threads: 1 } };
}

function probe(name: BackendName, opts: SelectOptions | undefined): Promise<Probe> {
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node':
      return probeNative(name);
    case 'webgpu':
      return probeWebgpu(opts?.force === 'webgpu');
    case 'wasm':
      return probeWasm(opts?.wasm);
    case 'cpu':
      return probeCpu();
  }
}

/** Options of {@link selectBackend}. */
export interface SelectOptions {
  /** Use exactly this backend. */
  force?: BackendName;
  /** Threads of the wasm backend (default: one per physical core), fixed at its first start in a process. */
  wasm?: WasmThreadOptions;
}

/**
 * Chooses and activates the backend: the first of BACKEND_ORDER that loads and initialises,
 * or exactly `opts.force` (rejecting with BackendUnavailableError if it cannot be used).
 * Also registers the training gradients and, for wasm, the training kernels.
 */
export async function selectBackend(opts?: SelectOptions): Promise<BackendReport> {
  const skipped: BackendReport['skipped'] = [];
  const candidates = opts?.force === undefined ? BACKEND_ORDER : [opts.force];
  let chosen: Omit<BackendReport, 'skipped'> | null = null;
  for (const name of candidates) {
    const result = await probe(name, opts);
    if (result.ok) {
      chosen = result.report;
      break;
    }
    if (opts?.force !== undefined) throw new BackendUnavailableError(name, result.reason);
    skipped.push({ name, reason: result.reason });
  }
  if (chosen === null) {
    throw new Error(`No tfjs backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  }
  registerGradientFixes();
  return { ...chosen, skipped };
}

/** One line for the status bar and the run log, e.g. "wasm · 2 threads · SIMD". */
export function describeBackend(r: BackendReport): string {
  return `${r.name} · ${r.detail}`;
}
