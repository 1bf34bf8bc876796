/**
 * `npm run bench`: training speed per preset and backend, each measured in its own process so one
 * backend's heap never slows another. Options: `--presets small,lean,fig2`, `--backends wasm,cpu`,
 * `--steps N`, `--limit-minutes M` (default 15 per measurement); `--peer pytorch` instead compares
 * Strata with PyTorch on one model (see peer.ts). Batch sizes are chosen per backend so a step fits
 * the 4 GiB wasm heap and the cpu backend (a plain-JS reference, minutes per step) finishes.
 * `--backends webgpu` runs on whatever adapter Dawn gives; on a CPU-only Linux machine that is
 * SwiftShader when its Vulkan driver is named (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
 * LD_LIBRARY_PATH=/usr/lib/chromium), and the bench then says that its figures are not GPU figures.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPeer } from './peer';
import { benchRunList } from './runList';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : fallback;
};

const peer = opt('peer', '');
if (peer !== '') {
  const threads = opt('threads', '');
  await benchPeer({ peer, batch: Number(opt('peer-batch', '32')), steps: Number(opt('steps', '3')), ...(threads === '' ? {} : { threads: Number(threads) }) });
  process.exit(0);
}

const presets = opt('presets', 'small,lean,fig2').split(',');
const backends = opt('backends', 'wasm,cpu').split(',');
const steps = opt('steps', '3');
/** Batch per (backend, preset): wasm trains `small` and `lean` at 16 and Figure 2 at 4 within its heap; cpu takes minutes per image; webgpu as wasm (`tiny` at 4 for a software adapter). */
const BATCH: Record<string, Record<string, number>> = { wasm: { tiny: 4, small: 16, lean: 16, fig2: 4 }, cpu: { tiny: 4, small: 2, lean: 2, fig2: 1 }, webgpu: { tiny: 4, small: 16, lean: 16, fig2: 4 } };

interface Row {
  preset: string;
  backend: string;
  detail?: string;
  batch: number;
  secPerStep?: number;
  imagesPerSec?: number;
  gflops?: number;
  /** webgpu on a software adapter: what it is (its figures are the CPU's, not a GPU's). */
  notGpu?: string;
  error?: string;
}

/** Longest a single measurement may take. */
const LIMIT_MS = Number(opt('limit-minutes', '15')) * 60_000;
const rows: Row[] = [];
for (const backend of backends) {
  for (const preset of presets) {
    const batch = BATCH[backend]?.[preset] ?? 8;
    // The cpu backend is a plain-JS reference at minutes per Figure-2 image: one timed step, no warm-up.
    const [n, warmup] = backend === 'cpu' ? ['1', '0'] : [steps, '1'];
    process.stderr.write(`bench: ${preset} on ${backend}, batch ${batch}...\n`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'benchStep.ts'), preset, backend, String(batch), n, warmup], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      timeout: LIMIT_MS,
    });
    if (r.error && 'code' in r.error && r.error.code === 'ETIMEDOUT') {
      rows.push({ preset, backend, batch, error: `over ${LIMIT_MS / 60_000} minutes for one step; stopped` });
      continue;
    }
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      rows.push(JSON.parse(line) as Row);
    } catch {
      rows.push({ preset, backend, batch, error: (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 160) });
    }
  }
}

const fmt = (v: number | undefined, d: number) => (v === undefined ? '-' : v.toFixed(d));
process.stdout.write('\ntraining speed (wasm, webgpu: median of the steps after one warm-up step; cpu: one step)\n');
process.stdout.write(`${'preset'.padEnd(8)}${'backend'.padEnd(28)}${'batch'.padStart(6)}${'s/step'.padStart(10)}${'img/s'.padStart(9)}${'GFLOP/s'.padStart(9)}\n`);
for (const r of rows) {
  const b = `${r.backend}${r.detail ? ` (${r.detail})` : ''}`;
  process.stdout.write(
    r.error
      ? `${r.preset.padEnd(8)}${b.padEnd(28)}${String(r.batch).padStart(6)}  failed: ${r.error}\n`
      : `${r.preset.padEnd(8)}${b.padEnd(28)}${String(r.batch).padStart(6)}${fmt(r.secPerStep, 2).padStart(10)}${fmt(r.imagesPerSec, 2).padStart(9)}${fmt(r.gflops, 2).padStart(9)}\n`,
  );
}
for (const what of new Set(rows.flatMap((r) => (r.notGpu ? [r.notGpu] : [])))) {
  process.stdout.write(`\nNOT GPU FIGURES: webgpu ran on ${what}. It runs WebGPU on this machine's CPU, so the webgpu rows above measure a CPU emulating a GPU, slower than wasm; they say nothing of a GPU's speed.\n`);
}
benchRunList();
