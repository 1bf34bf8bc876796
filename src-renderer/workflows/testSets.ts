/**
 * Which test set each run's test score is on. A test score is held out: it is scored once, on
 * images no choice saw, and is there to report, not to choose runs by (choosing by it makes it a
 * second validation score). Runs of a sweep or of repeated seeds also hold out different images
 * (the split follows the seed), so their test scores are on different test sets and ranking them
 * against each other compares sets as much as runs. The tables therefore rank by test score only
 * when every scored run shares one test set. Pure: the test-sets store reads the splits.
 */
import type { RunRecord, RunSummary } from '../../shared/runs/types';

/**
 * The identity of a run's test set: its data's fingerprint and its test ids, sorted; null without
 * a test set. Equal keys: the same images.
 */
export function testSetKey(rec: Pick<RunRecord, 'dataset' | 'split'>): string | null {
  const ids = rec.split.test;
  if (ids.length === 0) return null;
  return `${rec.dataset.fingerprint}\n${[...ids].sort().join('\n')}`;
}

/** Test-set keys by run id (null: the run has no test set). */
export type TestSetKeys = ReadonlyMap<string, string | null>;

/** What the test scores of a list of runs may be used for. */
export interface TestSetView {
  /** Runs with a test score. */
  scored: number;
  /** Distinct test sets among the scored runs whose set is known. */
  sets: number;
  /** Scored runs whose test set is not known (yet): its split is still being read, or could not be. */
  unknown: number;
  /** Whether the test scores may be ranked: every scored run's set known, and one set for all. */
  rankable: boolean;
  /** Each scored run's set as a letter (A, B, ...), in order of first appearance; empty with one set. */
  labels: ReadonlyMap<string, string>;
}

/** Letters for sets: A..Z, then AA, AB, ... */
function setLetter(k: number): string {
  const A = 'A'.charCodeAt(0);
  return k < 26 ? String.fromCharCode(A + k) : `${setLetter(Math.floor(k / 26) - 1)}${String.fromCharCode(A + (k % 26))}`;
}

/** The test sets of `runs` (in their order), from their keys. */
export function testSetView(runs: readonly Pick<RunSummary, 'id' | 'test'>[], keys: TestSetKeys): TestSetView {
  const letters = new Map<string, string>();
  const byRun = new Map<string, string>();
  let scored = 0;
  let unknown = 0;
  for (const r of runs) {
    if (!r.test) continue;
    scored++;
    const key = keys.get(r.id);
    // A run with a test score but no known test ids (not read yet, or a record without them).
    if (key === undefined || key === null) {
      unknown++;
      continue;
    }
    let letter = letters.get(key);
    if (letter === undefined) {
      letter = setLetter(letters.size);
      letters.set(key, letter);
    }
    byRun.set(r.id, letter);
  }
  const sets = letters.size;
  return { scored, sets, unknown, rankable: unknown === 0 && sets <= 1, labels: sets > 1 ? byRun : new Map() };
}

/** The test-score column's heading note: what the score is, and what it is not for. */
export const TEST_SCORE_NOTE =
  'The test score is held out: scored once, on images that no choice (checkpoint, threshold, minimum area) saw. Report it; choose runs by the validation score, not by this one.';

/**
 * Why the test scores are not ranked, for the column's heading and the note under the table; null
 * when they may be.
 */
export function unrankedTestNote(v: TestSetView): string | null {
  if (v.rankable) return null;
  if (v.sets > 1) {
    return `These test scores are on ${v.sets} different test sets (runs with other seeds or splits hold out other images), so they are shown but not ranked against each other; the letter names each run's set.`;
  }
  const which = v.unknown === 1 ? 'The test set of 1 scored run is' : `The test sets of ${v.unknown} scored runs are`;
  return `${which} not known yet, so the test scores are not ranked.`;
}
