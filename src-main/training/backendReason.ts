/**
 * Why a native TensorFlow backend could not be used, in TensorFlow's own words. Two sources:
 * - the error of loading the package (a missing package, or its binding failing to load), and
 * - what libtensorflow's loader writes to the process's fd 2 when CUDA's libraries do not load
 *   (e.g. "Could not load dynamic library 'libcudart.so.11.0'; dlerror: libcudart.so.11.0: cannot
 *   open shared object file"): that never passes through JavaScript, so the parent process reads it
 *   from the trainer's captured stderr and adds it to the backend report (see trainerHost.ts).
 * No tfjs here: the lab process imports this file.
 */

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True only when package `spec` itself is missing; a missing file or dependency inside it is a broken install. */
export function isPackageMissing(err: unknown, spec: string): boolean {
  if (typeof err !== 'object' || err === null || !('code' in err)) return false;
  const code = (err as { code: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // ESM says "Cannot find package 'X' imported from ...", CommonJS "Cannot find module 'X'". A
  // binding file missing under the package's own folder names a path, not the bare specifier.
  const first = errorMessage(err).split('\n')[0] ?? '';
  return first.startsWith(`Cannot find package '${spec}'`) || first.startsWith(`Cannot find module '${spec}'`);
}

/**
 * The reason importing native package `spec` failed: 'not installed' when the package is absent,
 * else the loader's message (its first line; Node's "Require stack" listing is dropped).
 */
export function loadFailureReason(err: unknown, spec: string): string {
  if (isPackageMissing(err, spec)) return 'not installed';
  const first = (errorMessage(err).split('\n')[0] ?? '').trim();
  return `libtensorflow failed to load: ${first || 'unknown error'}`;
}

/** Lines of TensorFlow's loader that say why the GPU is not used. */
const LOADER_LINE =
  /Could not load dynamic library|cannot open shared object|Cannot dlopen some GPU libraries|failed call to cuInit|CUDA_ERROR|no CUDA-capable device|CUDA driver version is insufficient|kernel driver does not appear to be running|cudart|cudnn|\bCUDA\b/i;
/** Lines that match but say nothing is wrong. */
const NOT_A_PROBLEM = /Successfully opened dynamic library|Ignore above cudart dlerror|Created device .*GPU/i;
/** TensorFlow's log prefix: "2024-05-01 10:00:00.123456: W tensorflow/.../dso_loader.cc:64] ". */
const TF_PREFIX = /^\d{4}-\d\d-\d\d [\d:.]+: [IWEF] [^\]]*\]\s*/;

/**
 * The loader lines of `stderr` worth showing: TensorFlow's log prefix and the LD_LIBRARY_PATH dump
 * removed, duplicates dropped, at most `max` lines of at most 300 characters.
 */
export function loaderLines(stderr: string, max = 4): string[] {
  const out: string[] = [];
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.trim();
    if (!LOADER_LINE.test(line) || NOT_A_PROBLEM.test(line)) continue;
    let text = line.replace(TF_PREFIX, '').replace(/;\s*LD_LIBRARY_PATH:.*$/, '');
    if (text.length > 300) text = `${text.slice(0, 299)}…`;
    if (!out.includes(text)) out.push(text);
  }
  return out.slice(0, max);
}

/**
 * A GPU backend's reason with TensorFlow's loader lines from `stderr` added ("no CUDA device;
 * TensorFlow: Could not load dynamic library 'libcudart.so.11.0'; dlerror: ..."). Unchanged when the
 * package is not installed (nothing of TensorFlow ran) or stderr has no such line.
 */
export function gpuReason(reason: string, stderr: string): string {
  if (reason === 'not installed') return reason;
  const lines = loaderLines(stderr);
  return lines.length > 0 ? `${reason}; TensorFlow: ${lines.join(' | ')}` : reason;
}

/** The message of a forced backend that cannot be used (backend.ts's BackendUnavailableError), defined once here. */
export function backendUnavailableMessage(backend: string, reason: string): string {
  return `Backend '${backend}' is unavailable: ${reason}`;
}

/** True when `skipped` holds a GPU reason that TensorFlow's loader lines could complete (the package was there). */
export function wantsLoaderLines(skipped: readonly { name: string; reason: string }[]): boolean {
  return skipped.some((s) => s.name === 'tfjs-node-gpu' && s.reason !== 'not installed');
}

/**
 * A run's failure reason completed with TensorFlow's loader lines when it failed because a forced
 * tfjs-node-gpu could not be used ("Backend 'tfjs-node-gpu' is unavailable: no CUDA device; TensorFlow:
 * ..."); null when it failed otherwise or `stderr` has no loader line to add.
 */
export function gpuFailureReason(reason: string, stderr: string): string | null {
  const prefix = backendUnavailableMessage('tfjs-node-gpu', '');
  const at = reason.indexOf(prefix);
  if (at < 0) return null;
  const inner = reason.slice(at + prefix.length);
  const completed = gpuReason(inner, stderr);
  return completed === inner ? null : `${reason.slice(0, at + prefix.length)}${completed}`;
}

/** A probe's skipped backends with the GPU one's reason completed from the trainer's stderr. */
export function withLoaderLines<T extends { name: string; reason: string }>(skipped: readonly T[], stderr: string): T[] {
  return skipped.map((s) => (s.name === 'tfjs-node-gpu' ? { ...s, reason: gpuReason(s.reason, stderr) } : s));
}
