/**
 * The `webgpu` backend: tfjs's WebGPU backend (@tensorflow/tfjs-backend-webgpu) on Dawn's Node
 * binding (the `webgpu` package, N-API), both optional dependencies, so a failed install only drops
 * this backend. Node has no `navigator.gpu`: Dawn's `create([])` gives the GPU object, and its
 * WebGPU classes and constants (GPUBufferUsage, ...) are put on globalThis, where tfjs looks for them.
 *
 * Dawn also gives software adapters (SwiftShader's Vulkan driver, which Debian's chromium brings;
 * lavapipe; D3D's WARP). Those run WebGPU on the CPU, far slower than wasm, so automatic selection
 * passes them over; forcing `webgpu` takes them (the tests run on SwiftShader, docs/adr/0005).
 * On Linux, Dawn loads libvulkan.so.1 through the dynamic loader, which reads LD_LIBRARY_PATH only
 * when the process starts: a Vulkan loader outside the system's paths must be named before then.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { errorMessage, isPackageMissing } from './backendReason';
import { registerWebgpuTrainingKernels } from './webgpuKernels';

/** What Dawn says about its adapter (GPUAdapterInfo), as the backend report carries it. */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** The adapter is WebGPU's fallback adapter (a software one, or one with lower performance). */
  fallback: boolean;
}

/** Drivers that run WebGPU on the CPU, by the names Dawn reports for them. */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|basic render driver|software/i;

/**
 * Why `info` is not a GPU (a software rasteriser or a fallback adapter), or null for a GPU: automatic
 * selection only takes a GPU.
 */
export function softwareAdapterReason(info: GpuAdapterInfo): string | null {
  if ([info.description, info.architecture, info.device, info.vendor].some((s) => SOFTWARE.test(s))) return 'a software renderer, not a GPU';
  if (info.fallback) return 'a fallback adapter, not a GPU';
  return null;
}

/** One line naming the adapter, e.g. "SwiftShader driver 5.0.0 (google swiftshader)". */
export function describeAdapter(info: GpuAdapterInfo): string {
  const kind = [info.vendor, info.architecture].filter((s) => s !== '').join(' ');
  const name = info.description || info.device || 'unnamed adapter';
  return kind === '' ? name : `${name} (${kind})`;
}

/** The message of a tensor read synchronously on webgpu outside a browser (see wrapReads). */
export const SYNC_READ_UNAVAILABLE =
  "tfjs's webgpu backend cannot read a tensor synchronously (dataSync, arraySync) outside a browser: it reads through an OffscreenCanvas, which Node and Electron's utilityProcess do not have; read it with await data() instead";

// The parts of Dawn's binding and of tfjs-backend-webgpu used here; both packages are optional, so
// their own types are not required by the type checker.
interface DawnAdapter {
  info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  features: ReadonlySet<string>;
  limits: Record<string, number>;
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<DawnDevice>;
}
interface DawnDevice {
  features: ReadonlySet<string>;
  lost: Promise<{ reason: string; message: string }>;
  destroy(): void;
}
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<DawnAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}
interface BackendModule {
  WebGPUBackend: new (device: DawnDevice, adapterInfo: DawnAdapter['info']) => tf.KernelBackend;
}

const DAWN = 'webgpu';
const TFJS_WEBGPU = '@tensorflow/tfjs-backend-webgpu';

/** Dawn's adapter, found once a process. */
export type WebgpuAdapter = { ok: true; info: GpuAdapterInfo; adapter: DawnAdapter; gpu: DawnGpu; globals: Record<string, unknown> } | { ok: false; reason: string };

let found: Promise<WebgpuAdapter> | null = null;

/** Loads Dawn and asks it for its high-performance adapter (once a process: Dawn's instance is kept). */
export function findWebgpuAdapter(): Promise<WebgpuAdapter> {
  found ??= requestAdapter();
  return found;
}

function loadReason(err: unknown, spec: string): string {
  if (isPackageMissing(err, spec)) return `'${spec}' is not installed (an optional dependency)`;
  return `'${spec}' failed to load: ${(errorMessage(err).split('\n')[0] ?? '').trim() || 'unknown error'}`;
}

/** The Vulkan loader Dawn opens on Linux. */
const VULKAN_LOADER = 'libvulkan.so.1';

/**
 * Whether the dynamic loader can find `libvulkan.so.1`: in a folder of LD_LIBRARY_PATH, or in the
 * system's cache of libraries (/etc/ld.so.cache names every library it holds). Without one, Dawn can
 * give no adapter, and asking it prints a warning and a source line to stderr on every training run,
 * so the probe does not ask. Only Linux: elsewhere Dawn uses Metal or D3D12.
 */
export function vulkanLoaderFound(env: NodeJS.ProcessEnv = process.env, cache = '/etc/ld.so.cache'): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
  if (dirs.some((d) => fs.existsSync(path.join(d, VULKAN_LOADER)))) return true;
  try {
    return fs.readFileSync(cache).includes(VULKAN_LOADER);
  } catch {
    // No cache to read: let Dawn look for itself.
    return true;
  }
}

async function requestAdapter(): Promise<WebgpuAdapter> {
  if (!vulkanLoaderFound()) {
    return { ok: false, reason: `no Vulkan loader (${VULKAN_LOADER}) on this machine, so Dawn can find no WebGPU adapter` };
  }
  let dawn: DawnModule;
  try {
    // A variable specifier: the package is optional.
    const spec: string = DAWN;
    dawn = (await import(spec)) as DawnModule;
  } catch (err) {
    return { ok: false, reason: loadReason(err, DAWN) };
  }
  let adapter: DawnAdapter | null;
  let gpu: DawnGpu;
  try {
    gpu = dawn.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { ok: false, reason: `Dawn could not look for an adapter: ${errorMessage(err)}` };
  }
  if (adapter === null) {
    // Dawn writes why to fd 2 (e.g. "Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file").
    return { ok: false, reason: 'Dawn found no WebGPU adapter (no Vulkan, Metal or D3D12 driver it can use)' };
  }
  const i = adapter.info;
  const info: GpuAdapterInfo = {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    fallback: i.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
  };
  return { ok: true, info, adapter, gpu, globals: dawn.globals };
}

/** Dawn's WebGPU classes and constants, and `navigator.gpu`, where tfjs-backend-webgpu looks for them. */
function installGlobals(globals: Record<string, unknown>, gpu: DawnGpu): void {
  const g = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) if (!(name in g)) g[name] = value;
  const nav = g['navigator'];
  // Node 21+ has a navigator of its own (without gpu); Node 20 has none.
  if (typeof nav === 'object' && nav !== null) {
    if (!('gpu' in nav)) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
}

let registered: Promise<string | null> | null = null;

/**
 * Registers tfjs's `webgpu` backend on Dawn's adapter (once a process); null when done, else why not.
 * tfjs-backend-webgpu is imported before `navigator.gpu` exists, so that it does not register a
 * backend of its own (its base.ts does when it finds navigator.gpu, at a priority above wasm's).
 */
export function registerWebgpuBackend(found: Extract<WebgpuAdapter, { ok: true }>): Promise<string | null> {
  registered ??= register(found);
  return registered;
}

async function register(found: Extract<WebgpuAdapter, { ok: true }>): Promise<string | null> {
  const { adapter, gpu, globals } = found;
  let mod: BackendModule;
  try {
    const spec: string = TFJS_WEBGPU;
    mod = (await import(spec)) as BackendModule;
  } catch (err) {
    return loadReason(err, TFJS_WEBGPU);
  }
  installGlobals(globals, gpu);
  let device: DawnDevice;
  try {
    // As tfjs's own factory asks (its base.ts): the adapter's limits, and timestamps for tf.profile.
    const limits = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];
    const requiredLimits = Object.fromEntries(limits.flatMap((k) => (adapter.limits[k] === undefined ? [] : [[k, adapter.limits[k]]])));
    const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (err) {
    return `the adapter gave no device: ${errorMessage(err)}`;
  }
  const info = adapter.info;
  watchDevice(device, describeAdapter(found.info));
  // Priority 0: tfjs never picks it by itself; selectBackend sets it by name.
  tf.registerBackend('webgpu', () => wrapReads(new mod.WebGPUBackend(device, info)), 0);
  registerWebgpuTrainingKernels();
  return null;
}

/** A lost GPU device, as Dawn reported it, with the adapter it was made on. */
export interface WebgpuDeviceLoss {
  /** describeAdapter's name of the adapter. */
  adapter: string;
  /** GPUDeviceLostReason: 'destroyed', or 'unknown' (a driver reset, a removed GPU, an out-of-memory kill). */
  reason: string;
  /** Dawn's message. */
  message: string;
}

/** The sentence a run records when its device is lost: the adapter, Dawn's reason and message. */
export function deviceLossMessage(loss: WebgpuDeviceLoss): string {
  const said = loss.message.trim() === '' ? '' : `: ${loss.message.trim()}`;
  return `the GPU device of ${loss.adapter} was lost (reason '${loss.reason}'${said}); the webgpu backend cannot go on in this process`;
}

/** Thrown by a read on the webgpu backend after its device was lost, with {@link deviceLossMessage}. */
export class WebgpuDeviceLostError extends Error {
  override readonly name = 'WebgpuDeviceLostError';
  constructor(readonly loss: WebgpuDeviceLoss) {
    super(deviceLossMessage(loss));
  }
}

let device: DawnDevice | null = null;
let lost: Promise<WebgpuDeviceLoss> | null = null;
let loss: WebgpuDeviceLoss | null = null;

function watchDevice(d: DawnDevice, adapter: string): void {
  device = d;
  lost = d.lost.then((info) => {
    loss = { adapter, reason: String(info.reason), message: String(info.message ?? '') };
    return loss;
  });
}

/**
 * Resolves when the webgpu backend's device is lost (Dawn's `GPUDevice.lost`); null when this process
 * made no device. A device is lost once: the webgpu backend is unusable in this process after it.
 */
export function webgpuDeviceLost(): Promise<WebgpuDeviceLoss> | null {
  return lost;
}

/** How long a failed read waits for the device's loss to be reported before it fails as it is. */
const LOSS_REPORT_WAIT_MS = 2000;

/**
 * Destroys the webgpu backend's device, which Dawn reports as lost with reason 'destroyed': how tests
 * lose a device on purpose (a real loss is a driver reset or a removed GPU). False when there is none.
 */
export function destroyWebgpuDevice(): boolean {
  if (device === null) return false;
  device.destroy();
  return true;
}

/**
 * tfjs's webgpu backend with clearer failures: its readSync fails outside a browser with
 * "OffscreenCanvas is not defined", which this says the meaning of (values already on the CPU are
 * still read synchronously); a read that fails because the device was lost fails with the loss
 * (WebgpuDeviceLostError), Dawn's own failure of the buffer mapping saying nothing of it.
 */
function wrapReads(backend: tf.KernelBackend): tf.KernelBackend {
  const read = backend.read.bind(backend);
  backend.read = async (dataId: object) => {
    if (loss !== null) throw new WebgpuDeviceLostError(loss);
    try {
      return await read(dataId);
    } catch (err) {
      const l = loss ?? (lost === null ? null : await Promise.race([lost, new Promise<null>((r) => setTimeout(() => r(null), LOSS_REPORT_WAIT_MS).unref())]));
      if (l !== null) throw new WebgpuDeviceLostError(l);
      throw err;
    }
  };
  if (typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return backend;
  // Its warning that synchronous reads are slow would come before the failure.
  (backend as { hasReadSyncWarned?: boolean }).hasReadSyncWarned = true;
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    try {
      return readSync(dataId);
    } catch (err) {
      if (err instanceof ReferenceError && /OffscreenCanvas/.test(err.message)) throw new Error(SYNC_READ_UNAVAILABLE);
      throw err;
    }
  };
  return backend;
}
