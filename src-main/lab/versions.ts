import { createRequire } from 'node:module';
import type { RunVersions } from '../../shared/runs/types';

const require = createRequire(import.meta.url);

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
    strata: packageVersion('../../package.json'),
    tfjs: packageVersion('@tensorflow/tfjs-core/package.json'),
    node: process.versions.node,
    ...(process.versions.electron ? { electron: process.versions.electron } : {}),
  };
}
