/**
 * Planning experiment files in tests: the plan of a file that must plan, or the problems of one that
 * must be refused, each as `path: message`.
 */
import { planExperiment, type ExperimentInputs, type ExperimentPlan } from '../../shared/experiments';

/** The plan of `raw`; throws with every problem when it does not plan. */
export function plan(raw: unknown, inputs: ExperimentInputs = {}): ExperimentPlan {
  const r = planExperiment(raw, inputs);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return r.plan;
}

/** The problems of `raw`, as `path: message`; throws when it plans. */
export function problems(raw: unknown, inputs: ExperimentInputs = {}): string[] {
  const r = planExperiment(raw, inputs);
  if (r.ok) throw new Error('expected the file to be refused');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}
