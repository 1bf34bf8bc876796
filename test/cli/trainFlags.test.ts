/**
 * `strata train` refuses flags that would silently do nothing with the others given, naming the flag,
 * before it loads data or trains: a momentum without SGD, an eps for a loss without one, a fraction
 * beside a fixed id list of the same side, a Lovász weight for another loss. Run in this process
 * (the refusal comes first, so nothing trains), plus once as a real process for the exit status.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOSS_NAMES } from '../../shared/runs/types';
import { CliError } from '../../src-main/cli/args';
import { EPS_LOSSES, trainCommand } from '../../src-main/cli/commands/train';
import { cliSandbox } from '../helpers/cli';

const { tmp, runsDir, strata } = cliSandbox('cli-flags');
const ids = path.join(tmp, 'ids.txt');
writeFileSync(ids, 'demo-0001\ndemo-0002\n');

const demo = ['--arch', 'tiny', '--data', 'demo', '--demo-count', '16', '--epochs', '1', '--runs-dir', runsDir];

/** The CliError `strata train args` ends with; fails when it ends otherwise. */
async function refusal(...args: string[]): Promise<CliError> {
  try {
    await trainCommand([...demo, ...args]);
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  throw new Error(`strata train ${args.join(' ')} was not refused`);
}

describe('strata train refuses flags it would ignore', () => {
  it('--momentum without --optimizer sgd, the default Adam included', async () => {
    const byDefault = await refusal('--momentum', '0.8');
    expect(byDefault.message).toBe('--momentum: applies to --optimizer sgd only (the optimizer is adam, the default)');
    expect(byDefault.exitCode).toBe(2);
    expect((await refusal('--optimizer', 'adam', '--lr', '0.01', '--momentum', '0.8')).message).toBe('--momentum: applies to --optimizer sgd only (the optimizer is adam)');
    // An unknown optimizer is the schema's to name, with the ones there are.
    expect((await refusal('--optimizer', 'rmsprop', '--momentum', '0.8')).message).toContain('--optimizer: optimizer must be sgd or adam');
  });

  it('--eps with a loss that has no eps, the default bce-lovasz included', async () => {
    expect((await refusal('--eps', '0.5')).message).toBe('--eps: applies to --loss batch-iou or per-image-iou only (the IoU smoothing); the bce-lovasz loss (the default) has no eps');
    for (const loss of LOSS_NAMES.filter((l) => !EPS_LOSSES.includes(l))) {
      expect((await refusal('--loss', loss, '--eps', '0.5')).message).toBe(`--eps: applies to --loss batch-iou or per-image-iou only (the IoU smoothing); the ${loss} loss has no eps`);
    }
  });

  it('--test with --test-ids, and --val with --val-ids', async () => {
    expect((await refusal('--test', '0.2', '--test-ids', ids)).message).toBe('--test: a test fraction does not apply with --test-ids, whose ids are the whole test set; give one of the two');
    expect((await refusal('--val', '0.2', '--val-ids', ids)).message).toBe('--val: a validation fraction does not apply with --val-ids, whose ids are the whole validation set; give one of the two');
  });

  it('--lovasz-weight with a loss other than bce-lovasz', async () => {
    expect((await refusal('--loss', 'bce', '--lovasz-weight', '2')).message).toBe(
      'train: invalid settings:\n  --lovasz-weight: the Lovász weight is a setting of the bce-lovasz loss (BCE + weight × Lovász), not of bce',
    );
  });

  it('refuses before creating a run, and exits 2 as a real process', () => {
    const r = strata('train', ...demo, '--lr', '0.01', '--momentum', '0.5');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('strata: --momentum: applies to --optimizer sgd only (the optimizer is adam, the default)\n');
    expect(r.stdout).toBe('');
    expect(readdirSync(tmp)).toEqual(['ids.txt']);
  });
});

describe('the losses that read eps', () => {
  it('are what EPS_LOSSES says: the IoU losses', async () => {
    // Checked against the losses themselves: eps changes their value and no other loss's.
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    const { LOSSES } = await import('../../src-main/training/losses');
    const yt = tf.tensor4d([1, 0, 1, 0], [1, 2, 2, 1]);
    const yp = tf.tensor4d([0.7, 0.2, 0.4, 0.1], [1, 2, 2, 1]);
    const reads = LOSS_NAMES.filter((name) => {
      const at = (eps: number) => LOSSES[name].fn(yt, yp, { eps }).dataSync()[0];
      return at(0.01) !== at(5);
    });
    expect(reads).toEqual([...EPS_LOSSES]);
  });
});
