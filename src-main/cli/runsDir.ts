import path from 'node:path';

/** Where runs live unless `--runs-dir` says otherwise: $STRATA_RUNS_DIR, else ./.strata/runs. */
export function defaultRunsDir(): string {
  return path.resolve(process.env['STRATA_RUNS_DIR'] ?? '.strata/runs');
}
