/**
 * Lets tfjs-backend-wasm's threaded build start its pthreads under Node (and Electron's
 * utilityProcess, which is Node). tfjs switches threads off under Node (tfjs issue #3830) because
 * Emscripten's pthread workers would be started from `blob:` URLs — the worker script and the
 * module factory — which Node's worker_threads cannot load. Here both scripts are written to real
 * files once, and the `Worker` the Emscripten glue constructs is one that loads those files.
 *
 * The glue looks `Worker` up on the global object (after assigning worker_threads' own Worker
 * there), so the global is an accessor that always yields {@link PthreadWorker}.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';

const WASM_OUT = '@tensorflow/tfjs-backend-wasm/wasm-out';

/** The two scripts a pthread worker runs, as real files. */
export interface ThreadScripts {
  /** Emscripten's pthread worker (what tfjs serves as a blob). */
  worker: string;
  /** The threaded module factory the worker evaluates with `importScripts`. */
  module: string;
}

/** Thrown when the worker or module script cannot be read from the package or written out. */
export class ThreadScriptError extends Error {
  override readonly name = 'ThreadScriptError';
}

function readPackageScripts(): { worker: string; module: string } {
  const req = createRequire(import.meta.url);
  const workerFile = `${WASM_OUT}/tfjs-backend-wasm-threaded-simd.worker.js`;
  const moduleFile = `${WASM_OUT}/tfjs-backend-wasm-threaded-simd.js`;
  let exported: unknown;
  let module: string;
  try {
    // The package ships the worker as a CommonJS module that exports its source text.
    exported = req(workerFile);
    module = fs.readFileSync(req.resolve(moduleFile), 'utf8');
  } catch (err) {
    throw new ThreadScriptError(`cannot read the threaded wasm scripts from ${WASM_OUT}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const worker = typeof exported === 'object' && exported !== null ? (exported as Record<string, unknown>)['wasmWorkerContents'] : undefined;
  if (typeof worker !== 'string' || worker.length === 0) {
    throw new ThreadScriptError(`${workerFile} does not export the pthread worker source (wasmWorkerContents)`);
  }
  // As tfjs does before making its blob: the source's only line breaks are `\n` escapes inside its
  // string literals, which the exporting template literal turned into real newlines.
  return { worker: worker.replace(/\n/g, '\\n'), module };
}

/** Writes `text` to `file` unless it already holds it; via a rename, so concurrent processes never see half a file. */
function writeOnce(file: string, text: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return;
  } catch {
    // Missing: written below.
  }
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

let written: ThreadScripts | null = null;

/**
 * Writes the worker and module scripts to a directory named by their hash (under the OS temp
 * directory unless `dir` is given) and returns their paths. Real files also keep the scripts out
 * of an Electron app.asar, which worker_threads cannot read.
 */
export function writeThreadScripts(dir?: string): ThreadScripts {
  if (written !== null && dir === undefined) return written;
  const src = readPackageScripts();
  const hash = createHash('sha256').update(src.worker).update('\0').update(src.module).digest('hex').slice(0, 16);
  const target = dir ?? path.join(os.tmpdir(), `strata-wasm-threads-${hash}`);
  const scripts = { worker: path.join(target, 'pthread-worker.cjs'), module: path.join(target, 'threaded-simd-module.cjs') };
  try {
    fs.mkdirSync(target, { recursive: true });
    writeOnce(scripts.worker, src.worker);
    writeOnce(scripts.module, src.module);
  } catch (err) {
    throw new ThreadScriptError(`cannot write the pthread scripts to ${target}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (dir === undefined) written = scripts;
  return scripts;
}

/** Why the pthread workers failed to start, as soon as one of them does. */
type FailureListener = (reason: string) => void;

interface WorkerState {
  scripts: ThreadScripts;
  workers: Set<PthreadWorker>;
  onFailure: FailureListener | null;
}

const state: WorkerState = { scripts: { worker: '', module: '' }, workers: new Set(), onFailure: null };

function isBlobUrl(url: unknown): boolean {
  if (url instanceof URL) return url.protocol === 'blob:';
  return typeof url === 'string' && url.startsWith('blob:');
}

/**
 * A worker_threads Worker that stands in for the browser Worker Emscripten creates. A `blob:`
 * script is replaced by the real worker file; the module blob in the 'load' message by the real
 * module file. Workers never hold the event loop open: XNNPACK's pool threads idle for the
 * process's lifetime, and a script that has finished must still be able to exit.
 */
class PthreadWorker extends NodeWorker {
  private loaded = false;
  /** Set when a failed start-up is abandoned: its workers' errors and exits are expected. */
  abandoned = false;
  private glueOnError: ((err: unknown) => void) | null = null;

  constructor(url: string | URL, options?: WorkerOptions) {
    // No execArgv: a loader the parent runs under (tsx in development) has no business in a pthread.
    super(isBlobUrl(url) ? state.scripts.worker : url, { ...options, execArgv: [] });
    state.workers.add(this);
    this.unref();
    this.on('message', (msg: unknown) => {
      if (typeof msg === 'object' && msg !== null && (msg as { cmd?: unknown }).cmd === 'loaded') this.loaded = true;
    });
    // Also the listener that keeps an error before the glue has registered its own from being uncaught.
    this.on('error', (err: unknown) => {
      if (!this.abandoned) state.onFailure?.(`a wasm pthread worker failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.on('exit', (code: number) => {
      state.workers.delete(this);
      if (!this.loaded && !this.abandoned) state.onFailure?.(`a wasm pthread worker exited with code ${code} before it loaded the module`);
    });
  }

  /**
   * The glue's error handler rethrows, which would crash the process. While the start-up is
   * watched, the failure is reported instead (and the backend falls back), and an abandoned
   * worker's errors are expected; otherwise the glue's handler runs, since a pthread that dies
   * mid-training leaves nothing to recover.
   */
  get onerror(): (err: unknown) => void {
    return (err) => {
      if (state.onFailure === null && !this.abandoned) this.glueOnError?.(err);
    };
  }

  set onerror(handler: (err: unknown) => void) {
    this.glueOnError = handler;
  }

  override postMessage(value: unknown, transferList?: Parameters<NodeWorker['postMessage']>[1]): void {
    if (typeof value === 'object' && value !== null && (value as { cmd?: unknown }).cmd === 'load') {
      const load = value as { urlOrBlob?: unknown };
      if (typeof load.urlOrBlob !== 'string') value = { ...load, urlOrBlob: state.scripts.module };
    }
    super.postMessage(value, transferList);
  }

  override ref(): void {
    // Deliberately a no-op: see the class comment.
  }
}

/**
 * Installs the global `Worker` accessor (idempotent) with the given scripts and failure listener.
 * The listener hears the first worker error or premature exit until {@link stopWatchingWorkers}.
 */
export function installPthreadWorkers(scripts: ThreadScripts, onFailure: FailureListener): void {
  state.scripts = scripts;
  state.onFailure = onFailure;
  const current = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  if (current?.get?.() === PthreadWorker) return;
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    enumerable: false,
    get: () => PthreadWorker,
    // The glue assigns worker_threads' Worker here when its factory runs; ours stays.
    set: () => undefined,
  });
}

/** Stops reporting worker failures (after the threaded backend started or was given up). */
export function stopWatchingWorkers(): void {
  state.onFailure = null;
}

/**
 * Gives up on the threaded start-up: stops watching and terminates every pthread worker started
 * so far, whose later errors (they may all run the same broken script) are then ignored.
 */
export async function abandonPthreadWorkers(): Promise<void> {
  const all = [...state.workers];
  for (const w of all) w.abandoned = true;
  state.onFailure = null;
  state.workers.clear();
  await Promise.all(all.map((w) => w.terminate()));
}

/** How many pthread workers are alive (for tests and the report). */
export function livePthreadWorkers(): number {
  return state.workers.size;
}
