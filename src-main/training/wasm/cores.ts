/**
 * How many physical cores this machine has. XNNPACK's threads are compute-bound, so SMT siblings
 * add little and contend for the same units; one thread per physical core is the useful maximum.
 */
import fs from 'node:fs';
import os from 'node:os';

const SYS_CPU = '/sys/devices/system/cpu';

/**
 * Physical cores from Linux's CPU topology (distinct package/core pairs among online CPUs);
 * elsewhere, or if the topology cannot be read, the logical core count.
 */
export function physicalCoreCount(sysCpuDir: string = SYS_CPU): number {
  const logical = os.availableParallelism();
  if (process.platform !== 'linux') return logical;
  try {
    const cores = new Set<string>();
    for (const entry of fs.readdirSync(sysCpuDir)) {
      if (!/^cpu\d+$/.test(entry)) continue;
      const topo = `${sysCpuDir}/${entry}/topology`;
      if (!fs.existsSync(topo)) continue;
      const pkg = fs.readFileSync(`${topo}/physical_package_id`, 'utf8').trim();
      const core = fs.readFileSync(`${topo}/core_id`, 'utf8').trim();
      cores.add(`${pkg}:${core}`);
    }
    // Offline CPUs keep no topology; never report more cores than the process may use.
    return cores.size > 0 ? Math.min(cores.size, logical) : logical;
  } catch {
    return logical;
  }
}
