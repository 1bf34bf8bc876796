/**
 * Strata's own wasm SIMD kernels (kernels.wat), instantiated on the wasm backend's heap, and
 * spread over as many threads as the backend has: the calling thread plus Node worker threads
 * that instantiate the same module on the same shared memory. A call is split by rows; workers
 * are woken and waited for with Atomics, so a call costs microseconds on top of its work.
 *
 * Anything that stops them (no SIMD, a module that does not instantiate, a worker that does not
 * answer) makes `simdKernels` return null or a one-thread set, and callers keep their JS paths.
 */
import { Worker } from 'node:worker_threads';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { PLAIN_MEMORY_KERNELS, SHARED_MEMORY_KERNELS } from './kernels.generated';

/** The parts of the WebAssembly API used here (Node's typings leave the global object untyped). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
type WasmExports = Record<string, (...args: number[]) => void>;
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: WasmExports };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** The emscripten module behind the backend: its heap and allocator. */
interface EmscriptenModule {
  wasmMemory?: WasmMemory;
  asm?: { memory?: WasmMemory };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

/** Exported kernel names, in the order workers index them. */
const FUNCTIONS = ['col_moments', 'grad_sums', 'axpby', 'affine', 'filter_grad', 'conv_fwd'] as const;
export type SimdKernelName = (typeof FUNCTIONS)[number];

/** Int32 slots per worker in the control array: seq, done, status, function, then arguments. */
const SLOT = 32;
const MAX_ARGS = SLOT - 4;
/** A worker that has not answered by then is taken as dead: the set falls back to one thread. */
const DEFAULT_WORKER_TIMEOUT_MS = 60_000;

/** The worker: instantiates the module on the shared memory, then runs calls posted through `ctrl`. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, slot, functions } = workerData;
const c = new Int32Array(ctrl);
const base = slot * ${SLOT};
let exports;
try {
  exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
} catch (err) {
  Atomics.store(c, base + 2, 2);
}
let seen = 0;
for (;;) {
  Atomics.wait(c, base, seen);
  seen = Atomics.load(c, base);
  if (seen < 0) break;
  let status = 0;
  if (exports === undefined) status = 2;
  else {
    try {
      const n = c[base + 3] >>> 16;
      const args = [];
      for (let i = 0; i < n; i++) args.push(c[base + 4 + i]);
      exports[functions[c[base + 3] & 0xffff]](...args);
    } catch (err) {
      status = 1;
    }
  }
  Atomics.store(c, base + 2, status);
  Atomics.store(c, base + 1, seen);
  Atomics.notify(c, base + 1);
}
`;

function decode(base64: string): Uint8Array {
  return Uint8Array.from(Buffer.from(base64, 'base64'));
}

/** The kernels on one backend's heap. */
export class SimdKernels {
  private readonly workers: Worker[] = [];
  private readonly ctrl: Int32Array | null;
  private seq = 0;
  /** Why the set runs on fewer threads than the backend, if it does. */
  note: string | null = null;
  /**
   * How long a call waits for a worker before taking it as dead (the call then fails and the set
   * goes on with one thread). Kernel calls take milliseconds; the default is a minute.
   */
  workerTimeoutMs = DEFAULT_WORKER_TIMEOUT_MS;

  private constructor(
    private readonly exports: WasmExports,
    private readonly emscripten: EmscriptenModule,
    module: object,
    private readonly memory: WasmMemory,
    workers: number,
  ) {
    if (workers > 0 && memory.buffer instanceof SharedArrayBuffer) {
      this.ctrl = new Int32Array(new SharedArrayBuffer(4 * SLOT * workers));
      try {
        for (let slot = 0; slot < workers; slot++) {
          const worker = new Worker(WORKER_SOURCE, {
            eval: true,
            workerData: { module, memory, ctrl: this.ctrl.buffer, slot, functions: FUNCTIONS },
          });
          worker.unref();
          worker.on('error', (err) => this.dropWorkers(`a kernel worker failed (${err.message})`));
          worker.on('exit', (code) => {
            if (this.workers.includes(worker)) this.dropWorkers(`a kernel worker exited (code ${code})`);
          });
          this.workers.push(worker);
        }
      } catch (err) {
        this.dropWorkers(`kernel workers could not start: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else {
      this.ctrl = null;
    }
  }

  /** Instantiates the kernels on `backend`'s heap, or returns null with no SIMD or no heap to share. */
  static create(backend: BackendWasm): SimdKernels | null {
    if (wasmApi === undefined) return null;
    const emscripten = (backend as unknown as { wasm: EmscriptenModule }).wasm;
    const memory = emscripten.wasmMemory ?? emscripten.asm?.memory;
    if (memory === undefined || typeof emscripten._malloc !== 'function') return null;
    const shared = memory.buffer instanceof SharedArrayBuffer;
    try {
      const module = new wasmApi.Module(decode(shared ? SHARED_MEMORY_KERNELS : PLAIN_MEMORY_KERNELS));
      const instance = new wasmApi.Instance(module, { env: { memory } });
      const threads = shared ? Math.max(1, getThreadsCount()) : 1;
      return new SimdKernels(instance.exports, emscripten, module, memory, threads - 1);
    } catch {
      // No SIMD in this runtime (the module does not compile): the JS paths run instead.
      return null;
    }
  }

  /** The heap as it is now (take views after the last allocation: growing it replaces the buffer). */
  get heap(): ArrayBuffer | SharedArrayBuffer {
    return this.memory.buffer;
  }

  /** The worker threads (for diagnostics and fault tests). */
  workerThreads(): readonly Worker[] {
    return this.workers;
  }

  /** Threads a call is split over (this one included). */
  get threads(): number {
    return this.workers.length + 1;
  }

  private dropWorkers(reason: string): void {
    if (this.note === null && reason !== 'disposed') {
      this.note = `${reason}; Strata's SIMD kernels run on one thread`;
      // Training goes on (slower); the trainer's log says why.
      console.warn(`strata: ${this.note}`);
    }
    const ctrl = this.ctrl;
    for (const [slot, w] of this.workers.entries()) {
      if (ctrl !== null) {
        Atomics.store(ctrl, slot * SLOT, -1);
        Atomics.notify(ctrl, slot * SLOT);
      }
      void w.terminate();
    }
    this.workers.length = 0;
  }

  /** Stops the workers (the set keeps working on one thread). */
  dispose(): void {
    this.dropWorkers('disposed');
  }

  malloc(bytes: number): number {
    // Unsigned: the heap passes 2 GiB, and wasm returns the address as a signed i32.
    const ptr = this.emscripten._malloc(bytes) >>> 0;
    if (ptr === 0) throw new RangeError(`wasm heap: could not allocate ${bytes} bytes of scratch`);
    return ptr;
  }

  free(ptr: number): void {
    this.emscripten._free(ptr);
  }

  /**
   * Runs `fn` once per argument list: the first on this thread, the others on workers, and
   * returns when all are done. Lists beyond the thread count are not accepted.
   */
  run(fn: SimdKernelName, calls: number[][]): void {
    if (calls.length > this.threads) throw new RangeError(`${fn}: ${calls.length} parts for ${this.threads} threads`);
    const ctrl = this.ctrl;
    const posted = calls.length - 1;
    if (posted > 0 && ctrl !== null) {
      this.seq = (this.seq + 1) & 0x3fffffff;
      const fnIndex = FUNCTIONS.indexOf(fn);
      for (let k = 0; k < posted; k++) {
        const args = calls[k + 1] ?? [];
        if (args.length > MAX_ARGS) throw new RangeError(`${fn}: ${args.length} arguments, at most ${MAX_ARGS}`);
        const base = k * SLOT;
        ctrl[base + 3] = (args.length << 16) | fnIndex;
        for (let i = 0; i < args.length; i++) ctrl[base + 4 + i] = args[i] ?? 0;
        Atomics.store(ctrl, base, this.seq);
        Atomics.notify(ctrl, base);
      }
    }
    let mainError: unknown = null;
    try {
      this.exports[fn]?.(...(calls[0] ?? []));
    } catch (err) {
      mainError = err;
    }
    if (posted > 0 && ctrl !== null) {
      for (let k = 0; k < posted; k++) {
        const base = k * SLOT;
        const deadline = Date.now() + this.workerTimeoutMs;
        for (;;) {
          const done = Atomics.load(ctrl, base + 1);
          if (done === this.seq) break;
          if (Atomics.wait(ctrl, base + 1, done, Math.max(1, deadline - Date.now())) === 'timed-out' && Date.now() >= deadline) {
            this.dropWorkers('a kernel worker stopped answering');
            throw new Error(`${fn}: kernel worker ${k + 1} did not answer in ${this.workerTimeoutMs / 1000} s`);
          }
        }
        const status = ctrl[base + 2];
        if (status !== 0) {
          if (status === 2) this.dropWorkers('a kernel worker could not instantiate the module');
          throw new Error(`${fn}: kernel worker ${k + 1} failed (${status === 2 ? 'module did not instantiate' : 'trap'})`);
        }
      }
    }
    if (mainError !== null) throw mainError;
  }
}

const perBackend = new WeakMap<BackendWasm, SimdKernels | null>();

/**
 * The kernels on `backend`'s heap (created on first use), or null where they cannot run or are
 * turned off with STRATA_SIMD_KERNELS=0 (read once per backend; for comparing with the JS and
 * XNNPACK paths they replace).
 */
export function simdKernels(backend: BackendWasm): SimdKernels | null {
  let k = perBackend.get(backend);
  if (k === undefined) {
    k = process.env['STRATA_SIMD_KERNELS'] === '0' ? null : SimdKernels.create(backend);
    perBackend.set(backend, k);
  }
  return k;
}

/** Splits [0, rows) into at most `parts` ranges of at least `minRows` rows each. */
export function splitRows(rows: number, parts: number, minRows: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, Math.floor(rows / Math.max(1, minRows))));
  const ranges: [number, number][] = [];
  for (let k = 0; k < n; k++) ranges.push([Math.floor((rows * k) / n), Math.floor((rows * (k + 1)) / n)]);
  return ranges;
}

/** Elements below which one thread does a whole elementwise pass. */
const MIN_ELEMENTS_PER_THREAD = 1 << 15;

/** One threaded pass over [rows, c] float32 tensors: what {@link withPass} hands its body. */
export interface Pass {
  /** The row ranges: one per thread, or one for small tensors. */
  ranges: [number, number][];
  /** Scratch with one sums array per range (freed when the body returns). */
  scratch: SimdScratch;
  /** The heap address of row r of the [rows, c] tensor at `ptr`. */
  row(ptr: number, r: number): number;
}

/** Runs `body` over one pass of [rows, c] tensors, with a scratch of `sums` x ranges float64 and `coefs` float32 arrays of c. */
export function withPass<T>(simd: SimdKernels, rows: number, c: number, sums: number, coefs: number, body: (pass: Pass) => T): T {
  const ranges = splitRows(rows, simd.threads, Math.ceil(MIN_ELEMENTS_PER_THREAD / c));
  const scratch = new SimdScratch(simd, c, ranges.length, sums, coefs);
  try {
    return body({ ranges, scratch, row: (ptr, r) => ptr + 4 * r * c });
  } finally {
    scratch.free();
  }
}

/**
 * Heap scratch for one call: `sums` float64 arrays of c per row range (the threads' partial
 * column sums) and `coefs` float32 arrays of c (per-channel coefficients the kernels read).
 */
export class SimdScratch {
  private readonly ptr: number;
  private readonly coefBase: number;

  constructor(
    private readonly simd: SimdKernels,
    private readonly c: number,
    private readonly ranges: number,
    sums: number,
    coefs: number,
  ) {
    this.ptr = simd.malloc(8 * c * ranges * sums + 4 * c * coefs);
    this.coefBase = this.ptr + 8 * c * ranges * sums;
    new Float64Array(simd.heap, this.ptr, c * ranges * sums).fill(0);
  }

  /** Byte offset of sums number s of range k. */
  sumPtr(s: number, k: number): number {
    return this.ptr + 8 * this.c * (s * this.ranges + k);
  }

  /** Sums number s, added over the ranges. */
  total(s: number): Float64Array {
    const out = new Float64Array(this.c);
    for (let k = 0; k < this.ranges; k++) {
      const part = new Float64Array(this.simd.heap, this.sumPtr(s, k), this.c);
      for (let j = 0; j < this.c; j++) out[j] = (out[j] as number) + (part[j] as number);
    }
    return out;
  }

  coefPtr(i: number): number {
    return this.coefBase + 4 * this.c * i;
  }

  coef(i: number): Float32Array {
    return new Float32Array(this.simd.heap, this.coefPtr(i), this.c);
  }

  free(): void {
    this.simd.free(this.ptr);
  }
}
