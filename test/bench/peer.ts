/**
 * `npm run bench -- --peer pytorch`: Strata (wasm) and PyTorch (CPU) train the same U-Net at the
 * same batch with the same thread count, loss and optimiser, in two long-lived processes whose
 * steps are interleaved one by one, so a shared machine's load hits both alike. Prints seconds per
 * step (median after one warm-up step each), the ratio Strata/PyTorch and GFLOP/s.
 *
 * Options: --peer-batch N (32), --threads N (physical cores), --steps N (3 measured steps each).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { physicalCoreCount } from '../../src-main/training/wasm/cores';
import { peerArchitecture, peerDesign, trainingFlops } from './peerDesign';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A child that answers one JSON line per command line. */
class StepServer {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
  }

  /** The next JSON line (skipping any non-JSON output). */
  async next(): Promise<Record<string, unknown>> {
    for (;;) {
      const r = await this.lines.next();
      if (r.done === true) throw new Error(`${this.name} exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      const line = r.value.trim();
      if (!line.startsWith('{')) continue;
      return JSON.parse(line) as Record<string, unknown>;
    }
  }

  async step(): Promise<Record<string, unknown>> {
    this.child.stdin.write('step\n');
    return this.next();
  }

  /** Asks the child to quit and waits for it (a bench that exits first leaves zombies behind). */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill(), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The first Python with torch: $STRATA_PYTHON, python3, or Debian's /usr/bin/python3 (python3-torch). */
function findTorchPython(): { python: string; version: string } | { error: string } {
  const candidates = [process.env['STRATA_PYTHON'], 'python3', '/usr/bin/python3'].filter((p): p is string => p !== undefined && p !== '');
  const tried: string[] = [];
  for (const python of [...new Set(candidates)]) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    tried.push(`${python}: ${(r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).slice(0, 120)}`);
  }
  return { error: `no Python with torch (${tried.join('; ')}); install it with 'apt-get install python3-torch' or set STRATA_PYTHON` };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : NaN;
}

/** Runs the peer comparison and prints its table. */
export async function benchPeer(opts: { peer: string; batch: number; threads?: number; steps: number }): Promise<void> {
  if (opts.peer !== 'pytorch') throw new Error(`unknown peer '${opts.peer}'; the only one is 'pytorch'`);
  const threads = opts.threads ?? physicalCoreCount();
  const arch = peerArchitecture();
  const { flops, convs } = trainingFlops(arch, opts.batch);
  const gflop = flops / 1e9;
  process.stdout.write(
    `peer benchmark: ${arch.name} (${convs} convs), batch ${opts.batch}, ${threads} thread(s), ${gflop.toFixed(1)} GFLOP/step ` +
      `(3 x 2 x conv MACs x batch), batch-IoU loss, SGD momentum 0.9\n`,
  );
  const torch = findTorchPython();
  if ('error' in torch) process.stdout.write(`PyTorch part skipped: ${torch.error}\n`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-peer-'));
  const designFile = path.join(dir, 'design.json');
  writeFileSync(designFile, JSON.stringify(peerDesign(arch, opts.batch, threads)));
  const servers: StepServer[] = [];
  try {
    const strata = new StepServer(
      'strata',
      spawn(process.execPath, ['--import', 'tsx', path.join(here, 'peerStrata.ts'), designFile], { stdio: 'pipe' }),
    );
    servers.push(strata);
    const ready: Record<string, Record<string, unknown>> = { strata: await strata.next() };
    // OpenMP's default spin-waiting collapses when other processes share the cores (measured on a
    // 2-core machine at load 5: 8.5 s/step with 2 threads against 2.4 s passive); waiting passively
    // measures PyTorch as it runs on an idle machine. Set OMP_WAIT_POLICY to override.
    const ompWait = process.env['OMP_WAIT_POLICY'] ?? 'PASSIVE';
    if (!('error' in torch)) {
      const py = new StepServer(
        'pytorch',
        spawn(torch.python, [path.join(here, 'peer_pytorch.py'), designFile], { stdio: 'pipe', env: { ...process.env, OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: ompWait } }),
      );
      servers.push(py);
      ready['pytorch'] = await py.next();
    }
    process.stdout.write(`strata: ${String(ready['strata']?.['backend'])}${(ready['strata']?.['notes'] as string[] | undefined)?.length ? ` (${String(ready['strata']?.['notes'])})` : ''}\n`);
    if (ready['pytorch']) process.stdout.write(`pytorch: ${String(ready['pytorch']['torch'])} on ${torch && 'python' in torch ? torch.python : ''}, ${String(ready['pytorch']['threads'])} thread(s), ${String(ready['pytorch']['convs'])} convs, OMP_WAIT_POLICY=${ompWait}\n`);

    const times: Record<string, number[]> = Object.fromEntries(servers.map((s) => [s.name, []]));
    const loads: number[] = [os.loadavg()[0] ?? NaN];
    // Step 0 is each side's warm-up (operator creation, heap growth, allocator); then alternate.
    for (let i = 0; i <= opts.steps; i++) {
      for (const s of i % 2 === 0 ? servers : [...servers].reverse()) {
        const r = await s.step();
        process.stderr.write(`  ${s.name} step ${i}: ${num(r['sec']).toFixed(2)} s, loss ${num(r['loss']).toFixed(4)}${r['heapMiB'] ? `, heap ${num(r['heapMiB']).toFixed(0)} MiB` : ''}\n`);
        if (i > 0) times[s.name]?.push(num(r['sec']));
      }
      loads.push(os.loadavg()[0] ?? NaN);
    }
    const sec = (name: string) => median(times[name] ?? []);
    const fmt = (name: string) => {
      const t = sec(name);
      return `${name.padEnd(9)}${t.toFixed(2).padStart(8)} s/step ${(opts.batch / t).toFixed(1).padStart(7)} img/s ${(gflop / t).toFixed(1).padStart(7)} GFLOP/s   (steps: ${(times[name] ?? []).map((x) => x.toFixed(2)).join(' ')})`;
    };
    process.stdout.write(`\n${servers.map((s) => fmt(s.name)).join('\n')}\n`);
    if (servers.length === 2) process.stdout.write(`ratio Strata/PyTorch: ${(sec('strata') / sec('pytorch')).toFixed(2)}\n`);
    process.stdout.write(`1-minute load average during the run: ${loads.map((l) => l.toFixed(1)).join(' -> ')} (on ${os.availableParallelism()} logical CPUs)\n`);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
