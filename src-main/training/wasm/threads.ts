/**
 * Starts the wasm backend with XNNPACK threads under Node (see node-workers for how), or on one
 * thread with the reason when threads cannot start: no SharedArrayBuffer, no SIMD (the threaded
 * build is SIMD-only), a worker that fails to load, or workers that do not come up in time.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { physicalCoreCount } from './cores';
import { abandonPthreadWorkers, installPthreadWorkers, stopWatchingWorkers, writeThreadScripts, type ThreadScripts } from './node-workers';

/** Emscripten's pthread pool for this build: more threads than workers would deadlock at start-up. */
export const MAX_WASM_THREADS = 8;

/** Default wait for the pthread workers to load the module. */
export const DEFAULT_THREAD_START_TIMEOUT_MS = 30_000;

/** How to start the wasm backend's threads. */
export interface WasmThreadOptions {
  /** Threads wanted; default one per physical core. 1 starts the single-threaded build. */
  threads?: number;
  /** Give up on threads (and run on one) when the workers have not loaded by then. */
  startTimeoutMs?: number;
  /** Worker and module scripts to use instead of the package's (a failing script tests the fallback). */
  scripts?: ThreadScripts;
}

/** The outcome: the backend is active either way; `notes` say why it has fewer threads than wanted. */
export type WasmStart = { ok: true; threads: number; notes: string[] } | { ok: false; reason: string };

const THREADS_FLAG = 'WASM_HAS_MULTITHREAD_SUPPORT';

/** A minimal module using a shared-memory atomic: validates only where wasm threads exist. */
const THREADED_WASM_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
]);

/** Why this runtime cannot run wasm threads, or null if it can. */
async function threadSupportProblem(): Promise<string | null> {
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is not available in this runtime';
  // Node's typings declare WebAssembly's types but not the global object; it is read untyped.
  const wasmApi = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  if (wasmApi === undefined) return 'this runtime has no WebAssembly';
  if (!wasmApi.validate(THREADED_WASM_PROBE)) return 'this WebAssembly runtime has no shared-memory atomics';
  if ((await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) !== true) return 'the threaded wasm build needs SIMD, which this runtime lacks';
  return null;
}

async function activate(): Promise<string | null> {
  try {
    return (await tf.setBackend('wasm')) ? null : "tfjs could not initialise the 'wasm' backend";
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

let started: { threads: number; notes: string[] } | null = null;

/**
 * Activates the wasm backend with `opts.threads` threads (default: physical cores, at most
 * {@link MAX_WASM_THREADS}). The thread count is fixed once the backend has started in a process;
 * later calls activate it again and repeat the first call's notes.
 */
export async function startWasm(opts: WasmThreadOptions = {}): Promise<WasmStart> {
  if (started !== null) {
    const failure = await activate();
    return failure === null ? { ok: true, ...started } : { ok: false, reason: failure };
  }
  const cores = physicalCoreCount();
  const wanted = Math.max(1, Math.min(opts.threads ?? cores, MAX_WASM_THREADS));
  const notes: string[] = [];
  if (opts.threads === undefined && cores > MAX_WASM_THREADS) {
    notes.push(`${MAX_WASM_THREADS} threads of ${cores} cores: the threaded wasm build has a pool of ${MAX_WASM_THREADS} workers`);
  }
  if (wanted > 1) {
    const problem = await threadSupportProblem();
    if (problem === null) {
      const reason = await startThreaded(wanted, opts);
      if (reason === null) {
        started = { threads: getThreadsCount(), notes };
        return { ok: true, ...started };
      }
      notes.push(`single-threaded: the threaded wasm build did not start (${reason})`);
    } else {
      notes.push(`single-threaded: ${problem}`);
    }
  } else if (cores > 1) {
    notes.push(`single-threaded: ${opts.threads === undefined ? 'one' : opts.threads} thread requested`);
  }
  tf.env().set(THREADS_FLAG, false);
  const failure = await activate();
  if (failure !== null) return { ok: false, reason: failure };
  started = { threads: getThreadsCount(), notes };
  return { ok: true, ...started };
}

/**
 * One attempt at the threaded build; null on success, else why it failed. On failure the wasm
 * backend's registration is restored to a fresh factory entry, so the single-threaded build can
 * start in the same process.
 */
async function startThreaded(threads: number, opts: WasmThreadOptions): Promise<string | null> {
  const factory = tf.findBackendFactory('wasm');
  if (factory === null) return 'the wasm backend is not registered';
  let scripts: ThreadScripts;
  try {
    scripts = opts.scripts ?? writeThreadScripts();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const timeoutMs = opts.startTimeoutMs ?? DEFAULT_THREAD_START_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<string>((resolve) => {
    installPthreadWorkers(scripts, resolve);
    // This timer also keeps the event loop alive while the (unref'd) workers load.
    timer = setTimeout(() => resolve(`the pthread workers did not load within ${timeoutMs} ms`), timeoutMs);
  });
  tf.env().set(THREADS_FLAG, true);
  setThreadsCount(threads);
  const restoreCores = reportLogicalCores(2 * threads);
  let outcome: string | null;
  try {
    outcome = await Promise.race([activate(), failed]);
  } catch (err) {
    outcome = err instanceof Error ? err.message : String(err);
  } finally {
    restoreCores();
    clearTimeout(timer);
  }
  if (outcome === null) {
    stopWatchingWorkers();
    return null;
  }
  // Abandon the pending initialisation (removeBackend makes it obsolete) and re-register the factory.
  await abandonPthreadWorkers();
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, WASM_PRIORITY);
  setThreadsCount(1);
  return outcome;
}

/**
 * tfjs's C++ caps its thread pool at half of `emscripten_num_logical_cores()` (assuming two
 * hardware threads per core), which under Node is `os.cpus().length`, read once by a static
 * initialiser while the module starts. So while it starts, os.cpus reports twice the threads
 * wanted (already counted in physical cores); the returned function restores it.
 */
function reportLogicalCores(count: number): () => void {
  const real = Object.getOwnPropertyDescriptor(os, 'cpus');
  const cpus = os.cpus.bind(os);
  Object.defineProperty(os, 'cpus', {
    configurable: true,
    writable: true,
    value: () => {
      const list = cpus();
      const first = list[0];
      return first === undefined ? list : Array.from({ length: count }, (_, i) => list[i] ?? first);
    },
  });
  return () => {
    if (real) Object.defineProperty(os, 'cpus', real);
  };
}

/** tfjs-backend-wasm's registration priority (not exported by the package). */
const WASM_PRIORITY = 2;
