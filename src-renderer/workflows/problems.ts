/** The problems an import found, as the Data view filters and counts them. */
import type { DatasetProblem } from '../../shared/data/types';

/** Which problems to show. */
export type SeverityFilter = 'all' | 'error' | 'warning';

/** How many problems of each severity. */
export interface ProblemCounts {
  error: number;
  warning: number;
}

/** Counts problems by severity. */
export function countProblems(problems: readonly DatasetProblem[]): ProblemCounts {
  let error = 0;
  let warning = 0;
  for (const p of problems) {
    if (p.severity === 'error') error++;
    else warning++;
  }
  return { error, warning };
}

/** The problems the filter lets through, errors first, then by file and line. */
export function filterProblems(problems: readonly DatasetProblem[], filter: SeverityFilter): DatasetProblem[] {
  const kept = filter === 'all' ? [...problems] : problems.filter((p) => p.severity === filter);
  return kept.sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0),
  );
}

/** `file:line` as editors print it; the line only for CSV rows. */
export function problemWhere(p: DatasetProblem): string {
  return p.line === undefined ? p.file : `${p.file}:${p.line}`;
}
