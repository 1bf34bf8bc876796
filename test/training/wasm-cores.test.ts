import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { physicalCoreCount } from '../../src-main/training/wasm/cores';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cpu-topology-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A fake /sys/devices/system/cpu: one entry per logical CPU as [package, core]. */
function topology(name: string, cpus: [number, number][]): string {
  const root = path.join(dir, name);
  cpus.forEach(([pkg, core], i) => {
    const topo = path.join(root, `cpu${i}`, 'topology');
    fs.mkdirSync(topo, { recursive: true });
    fs.writeFileSync(path.join(topo, 'physical_package_id'), `${pkg}\n`);
    fs.writeFileSync(path.join(topo, 'core_id'), `${core}\n`);
  });
  // Entries that are not CPUs are ignored.
  fs.mkdirSync(path.join(root, 'cpufreq'), { recursive: true });
  return root;
}

describe.runIf(process.platform === 'linux')('physicalCoreCount', () => {
  it('counts SMT siblings once: 4 logical CPUs on 2 cores are 2 cores (capped at the usable CPUs)', () => {
    const root = topology('smt', [[0, 0], [0, 0], [0, 1], [0, 1]]);
    expect(physicalCoreCount(root)).toBe(Math.min(2, os.availableParallelism()));
  });

  it('counts two hyperthreads of one core as one core', () => {
    const root = topology('one-core', [[0, 0], [0, 0]]);
    expect(physicalCoreCount(root)).toBe(1);
  });

  it('tells equal core ids on different packages apart: 2 packages x 1 core are 2 cores', () => {
    const root = topology('two-packages', [[0, 0], [1, 0]]);
    expect(physicalCoreCount(root)).toBe(Math.min(2, os.availableParallelism()));
  });

  it('falls back to the logical count when the topology is unreadable', () => {
    expect(physicalCoreCount(path.join(dir, 'missing'))).toBe(os.availableParallelism());
  });
});
