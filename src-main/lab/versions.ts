import { createRequire } from 'node:module';
import type { RunVersions } from '../../shared/runs/types';

const require = createRequire(import.meta.url);

/**
 * Strata's own version. Its package.json is two folders above this file under tsx (src-main/lab/)
 * and three above it once bundled (dist/main/electron/main.js, dist/main/training/trainerProcess.js).
 */
export function strataPackageVersion(): string {
  for (const spec of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(spec) as { name?: string; version?: string };
      if (pkg.name === 'strata') return pkg.version ?? 'unknown';
    } catch {
      // Not at this depth: try the next.
    }
  }
  return 'unknown';
}

function packageVersion(spec: string): string {
  try {
    return (require(spec) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Versions recorded with every run, so a result can be reproduced. */
export function runVersions(): RunVersions {
  return {
    strata: strataPackageVersion(),
    tfjs: packageVersion('@tensorflow/tfjs-core/package.json'),
    node: process.versions.node,
    ...(process.versions.electron ? { electron: process.versions.electron } : {}),
  };
}
