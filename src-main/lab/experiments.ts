/**
 * The lab's experiments: every experiment with runs in the store, and one version's results, read
 * as `strata experiment report NAME` reads them (experiments/storedRuns.ts: the copy of the file
 * stored with the runs, else their tags) and computed by the same code (shared/experiments/results.ts,
 * with the report's interval level and bootstrap seed), then cut down for the view.
 */
import { experimentResults } from '../../shared/experiments/results';
import { experimentView, type ExperimentListItem, type ExperimentVersionItem, type ExperimentView } from '../../shared/experiments/view';
import { readExperimentCopy } from '../experiments/copy';
import { groupSummaries, storedVersions } from '../experiments/runs';
import { ReportError, runsOfName } from '../experiments/storedRuns';
import type { RunStore } from '../runs/store';
import { LabError } from './errors';

/** Each experiment with runs in `store`, by name, with its versions (newest first) and how far each has come. */
export function listExperiments(store: RunStore): ExperimentListItem[] {
  return store.experimentNames().map((name) => ({
    name,
    versions: storedVersions(store, name).map((v): ExperimentVersionItem => {
      const copy = readExperimentCopy(store.root, name, v.version);
      if (copy.state === 'ok') {
        const { plan } = copy.copy;
        const cells = groupSummaries(store, plan).flatMap((g) => g.runs);
        return {
          version: v.version,
          groups: plan.groups.map((g) => g.key),
          planned: cells.length,
          stored: cells.filter((c) => c.run !== null).length,
          complete: cells.filter((c) => c.complete).length,
          claim: plan.experiment.claim ?? null,
          description: plan.experiment.description,
        };
      }
      const runs = v.groups.flatMap((g) => g.runs);
      return { version: v.version, groups: v.groups.map((g) => g.key), planned: null, stored: runs.length, complete: runs.filter((r) => r.complete).length, claim: null, description: null };
    }),
  }));
}

/** The results of experiment `name`, version `version` or the newest with runs; not-found when there are none. */
export function experimentViewOf(store: RunStore, name: string, version?: number): ExperimentView {
  let runs;
  try {
    runs = runsOfName(store, name, version);
  } catch (e) {
    if (e instanceof ReportError) throw new LabError(e.reason === 'no-runs' ? 'not-found' : 'conflict', e.message);
    throw e;
  }
  const { groups, ...info } = runs;
  return experimentView(info, experimentResults(groups));
}
