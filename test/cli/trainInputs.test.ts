/**
 * `strata train`'s run-creation inputs as users type them: a test id file (`--test-ids`), a test
 * fraction (`--test`), a warm start (`--init-from RUN[:best|last]`) and what it may test on. A real process, real files, a
 * real run store; bad input exits 2 with the message planRun gives the lab too.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliSandbox } from '../helpers/cli';

const { tmp, strata, withStore } = cliSandbox('cli-inputs');

const demo = ['train', '--arch', 'tiny', '--data', 'demo', '--demo-count', '16', '--epochs', '1', '--batch', '8'];
function idFile(name: string, text: string): string {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
}

describe('strata train --test-ids and --test', () => {
  let runId = '';

  it('refuses a test id file naming an unknown id, or a validation id, with exit 2 and the message', () => {
    const unknown = strata(...demo, '--test-ids', idFile('unknown.txt', '# held out\ndemo-0001\nnope-7\n'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('strata: 1 test id(s) are not in dataset "demo (synthetic)": nope-7\n');
    expect(unknown.stdout).toBe('');
    const both = strata(...demo, '--val-ids', idFile('val.txt', 'demo-0002\ndemo-0003\n'), '--test-ids', idFile('both.txt', 'demo-0003\n'));
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('strata: 1 id(s) are both validation and test ids: demo-0003; a sample can be in one of them only\n');
    expect(withStore((s) => s.list({}))).toEqual([]);
  });

  it('stores the test ids in the run\'s split, says how many, and never validates on them', () => {
    // --lr alone sets the default optimizer's rate (Adam's), never another optimizer.
    const r = strata(...demo, '--val-ids', idFile('val2.txt', 'demo-0002\ndemo-0003\n'), '--test-ids', idFile('test.txt', 'demo-0009\ndemo-0001\ndemo-0012\n'), '--lr', '0.003', '--json');
    expect(r.code, r.stderr).toBe(0);
    runId = String((JSON.parse(r.stdout) as { runId: string }).runId);
    expect(r.stderr).toContain(`run ${runId}: 11 training, 2 validation and 3 test images (synthetic demo data)\n`);
    withStore((s) => {
      const run = s.get(runId);
      expect(run.split.test).toEqual(['demo-0001', 'demo-0009', 'demo-0012']);
      expect(run.split.val).toEqual(['demo-0002', 'demo-0003']);
      expect(run.split.train).toHaveLength(11);
      expect(run.split.train.filter((id) => run.split.test.includes(id))).toEqual([]);
      expect(run.config.optimizer).toEqual({ name: 'adam', lr: 0.003, beta1: 0.9, beta2: 0.999 });
      // What the trainer validated on: the stored predictions of its best epoch.
      expect(s.loadPredictions(runId, run.best?.epoch ?? -1)?.ids).toEqual(['demo-0002', 'demo-0003']);
    });
  });

  it('--init-from starts from the run\'s best weights and records it; its test set must be one the weights never saw', () => {
    // A test fraction draws its own test set: here 4 images, of which the source trained on some.
    const drawn = strata(...demo, '--val', '0.25', '--test', '0.25', '--init-from', `${runId}:best`);
    expect(drawn.code).toBe(2);
    expect(drawn.stderr).toMatch(
      new RegExp(`^strata: run ${runId} trained on \\d+ (and validated on \\d+ )?of this run's test images \\(e\\.g\\. demo-\\d{4}.*\\); a test set must be images the weights never saw: use the source run's test ids \\(--test-ids\\) or start fresh\\n$`),
    );
    // The source's test ids are a test set the weights never saw; a validation set with one of its training images is taken, with a warning.
    const r = strata(...demo, '--test-ids', path.join(tmp, 'test.txt'), '--val-ids', idFile('val3.txt', 'demo-0002\ndemo-0004\n'), '--init-from', `${runId}:best`, '--loss', 'lovasz', '--json');
    expect(r.code, r.stderr).toBe(0);
    const warm = String((JSON.parse(r.stdout) as { runId: string }).runId);
    const warning = `run ${runId} trained on 1 of this run's validation images (e.g. demo-0004): its checkpoint, threshold and minimum area are chosen partly on images the weights were fitted to, so its validation score is optimistic; its test score is not affected`;
    expect(r.stderr).toContain(`warning: ${warning}\nrun ${warm}: 11 training, 2 validation and 3 test images (synthetic demo data)\n`);
    withStore((s) => {
      const run = s.get(warm);
      expect(run.split.test).toEqual(s.get(runId).split.test);
      expect(run.config.initFrom).toEqual({ runId, checkpoint: 'best' });
      expect(s.events(warm).find((e) => e.type === 'init-from')?.message).toBe(`weights from run ${runId} (best, epoch 1)`);
      expect(s.events(warm).find((e) => e.type === 'init-from-seen-validation')?.message).toBe(warning);
    });
    const bad = strata(...demo, '--val', '0.5', '--test', '0.5');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('strata: the validation fraction 0.5 and the test fraction 0.5 add up to 1: together they must stay below 1 to leave samples for training\n');
  });

  describe('--init-from', () => {
    it('refuses a run that is not there, one with no checkpoint yet and a design with other weights (exit 2)', () => {
      const missing = strata(...demo, '--init-from', '20240101-000000-000-zzzzzz');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe('strata: cannot start from run 20240101-000000-000-zzzzzz: there is no such run in the run store\n');
      // A run created and never trained: queued, with no checkpoint.
      const queued = withStore((s) => {
        const { name, arch, config, dataset, split, versions } = s.get(runId);
        return s.createRun({ name, arch, config, dataset, split, versions }).id;
      });
      const early = strata(...demo, '--init-from', `${queued}:last`);
      expect(early.code).toBe(2);
      expect(early.stderr).toBe(`strata: cannot start from run ${queued}: run ${queued} has no last checkpoint yet (it has no checkpoint at all: it has not finished an epoch)\n`);
      const other = strata('train', '--arch', 'small', '--data', 'demo', '--demo-count', '16', '--epochs', '1', '--init-from', runId);
      expect(other.code).toBe(2);
      expect(other.stderr).toMatch(
        new RegExp(`^strata: cannot start from run ${runId}: its design \\(tiny, BN at samplers\\) has \\d+ weights, this design \\(small, BN at samplers\\) needs \\d+, and they differ: stem/conv/kernel is 3x3x1x4 there, 3x3x1x8 here\\n$`),
      );
    });
  });
});
