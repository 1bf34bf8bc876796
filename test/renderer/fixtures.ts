/** Plain-data fixtures for the renderer's unit tests. */
import type { DatasetEntry } from '../../shared/api/types';
import type { DatasetProblem } from '../../shared/data/types';
import type { RunPostprocess } from '../../shared/runs/postprocess';
import type { RunSummary } from '../../shared/runs/types';
import { defaultRunConfig } from '../../shared/training/config';

/** A run summary; `over` replaces any field. */
export function summary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    id: '20250607-153012-123-k3j9x2',
    name: 'run',
    createdAt: 1_000,
    startedAt: null,
    endedAt: null,
    status: 'done',
    statusReason: null,
    config: { ...defaultRunConfig(), epochs: 10 },
    dataset: { name: 'demo', source: { kind: 'demo', seed: 1, count: 16 }, fingerprint: 'f', synthetic: true, count: 16 },
    seed: 1,
    backend: null,
    versions: { strata: '0.1.0', tfjs: '4.22.0', node: '20' },
    host: { hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2 },
    epochsDone: 0,
    best: null,
    lastCheckpoint: null,
    durationMs: 0,
    postprocess: null,
    test: null,
    archName: 'tiny',
    trainCount: 13,
    valCount: 3,
    ...over,
  };
}

/** A dataset problem. */
export function problem(severity: 'error' | 'warning', file: string, line?: number): DatasetProblem {
  return { code: severity === 'error' ? 'corrupt-png' : 'colour-image', severity, file, ...(line === undefined ? {} : { line }), message: `${file}: something` };
}

/** An imported folder's entry. */
export function entry(id: string, problems: DatasetProblem[] = []): DatasetEntry {
  return {
    id,
    path: `/data/${id}`,
    synthetic: false,
    importedAt: 5,
    info: {
      name: id,
      source: { kind: 'folder', path: `/data/${id}` },
      synthetic: false,
      count: 50,
      height: 101,
      width: 101,
      labelled: true,
      hasDepths: false,
      fingerprint: 'abc',
      problems,
      saltCoverage: { empty: 1, mean: 0.2, bins: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
    },
  };
}

/** A run's stored post-processing: threshold 0.6, area 2, no vote, the mean of 3 snapshots with TTA. */
export function runPostprocess(over: Partial<RunPostprocess> = {}): RunPostprocess {
  return {
    threshold: 0.6,
    minArea: 2,
    tta: true,
    snapshots: 3,
    members: 'snapshots',
    checkpointEpochs: [2, 3, 4],
    tuned: { threshold: true, minArea: true },
    valImages: 3,
    valScore: 0.6667,
    valEmptyScore: 1,
    valSaltScore: 0.5,
    candidates: [{ members: 'snapshots', checkpointEpochs: [2, 3, 4], threshold: 0.6, minArea: 2, valScore: 0.6667 }],
    at: 5,
    ...over,
  };
}
