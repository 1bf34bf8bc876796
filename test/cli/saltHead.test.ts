/**
 * The salt-present head end to end, as real processes: `strata train` of `tiny` plus a head (a design
 * file) with `--salt-head-weight` on 40 real TGS images (linked, never copied), which records the
 * head's figures every epoch and tunes its vote with the threshold and minimum area; then `strata eval`
 * and `strata predict` on 16 other images, which name the cut in their `postprocess` and write the same
 * masks, with the run's rule, with a cut every image falls below (all emptied, on both) and with
 * `--postprocess none` (no vote). The flag's refusals come first, in this process.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getPreset, saltHeadOf, withSaltHead } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { DEFAULT_PRESET } from '../../shared/arch/presets';
import { CliError } from '../../src-main/cli/args';
import { trainCommand } from '../../src-main/cli/commands/train';
import { cliSandbox, json, tgsLinks } from '../helpers/cli';
import { TGS_DIR } from '../helpers/paths';

const { tmp, runsDir, strata, withStore } = cliSandbox('cli-salt');
const design = path.join(tmp, 'tiny-salt.json');
writeFileSync(design, JSON.stringify(withSaltHead(getPreset('tiny') as Architecture)));

/** The CliError `strata train args` ends with; fails when it ends otherwise. */
async function refusal(...args: string[]): Promise<CliError> {
  try {
    await trainCommand(['--data', 'demo', '--demo-count', '16', '--epochs', '1', '--runs-dir', runsDir, ...args]);
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  throw new Error(`strata train ${args.join(' ')} was not refused`);
}

/** A submission file's rows: id -> RLE (empty for an empty mask). */
function rows(file: string): Map<string, string> {
  return new Map(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',') as [string, string]),
  );
}

describe('--salt-head-weight', () => {
  it('is refused for a design without a salt head, the default design included, and out of its range, by its flag', async () => {
    const msg = (arch: string) => `--salt-head-weight: design "${arch}" has no salt head ("Salt present" node) for it to weigh: use a design with one, e.g. the small-salt preset, or leave it out`;
    expect((await refusal('--salt-head-weight', '0.5')).message).toBe(msg(DEFAULT_PRESET));
    expect((await refusal('--arch', 'tiny', '--salt-head-weight', '0.5')).message).toBe(msg('tiny'));
    expect((await refusal('--arch', design, '--salt-head-weight', '0')).message).toBe('train: invalid settings:\n  --salt-head-weight: salt head weight must be above 0');
    expect((await refusal('--arch', design, '--salt-head-weight', '11')).message).toBe('train: invalid settings:\n  --salt-head-weight: salt head weight must be at most 10');
    expect((await refusal('--arch', design, '--salt-head-weight', 'x')).message).toBe('train: invalid settings:\n  --salt-head-weight: salt head weight must be a number');
    // Nothing was created.
    expect(withStore((s) => s.list())).toEqual([]);
  });
});

describe('a tiny run with a salt head, through train, eval and predict', () => {
  const files = readdirSync(path.join(TGS_DIR, 'images')).sort();
  const train = tgsLinks(path.join(tmp, 'train'), files.slice(0, 40));
  const other = tgsLinks(path.join(tmp, 'other'), files.slice(100, 116));
  let runId = '';

  it('trains with its weight in the stored design, records the head figures each epoch and tunes its cut', () => {
    const r = strata('train', '--arch', design, '--salt-head-weight', '0.5', '--data', train, '--epochs', '2', '--batch', '8', '--val', '0.25', '--snapshots', '1', '--backend', 'wasm', '--json');
    expect(r.code, r.stderr).toBe(0);
    runId = String(json(r)['runId']);
    withStore((s) => {
      const run = s.get(runId);
      expect(run.config.saltHeadWeight).toBe(0.5);
      expect(saltHeadOf(run.arch)?.lossWeight).toBe(0.5);
      const epochs = s.epochMetrics(runId);
      expect(epochs).toHaveLength(2);
      const n = run.split.val.length;
      expect(n).toBe(10);
      for (const m of epochs) {
        // Both kinds of image among the validation images (the split is stratified by coverage): a share of them right, a finite AUC.
        const x = m.extra ?? {};
        const right = (x['valSaltAccuracy'] ?? NaN) * n;
        expect(right).toBeCloseTo(Math.round(right), 9);
        expect(x['valSaltAUC']).toBeGreaterThanOrEqual(0);
        expect(x['valSaltAUC']).toBeLessThanOrEqual(1);
        expect(x['valSaltLoss']).toBeGreaterThan(0);
      }
      const pp = run.postprocess;
      expect(pp?.saltCut).toBeGreaterThanOrEqual(0);
      expect(pp?.saltCut).toBeLessThan(1);
      expect(pp?.tuned.saltCut).toBe(true);
    });
    expect(strata('runs', 'show', runId).stdout).toMatch(/salt-head vote: empty below [0-9.]+ \(tuned\)/);
  });

  /** eval --out and predict's submission for `flags`, with both JSON objects. */
  function both(tag: string, ...flags: string[]) {
    const evalOut = path.join(tmp, `eval-${tag}.csv`);
    const predOut = path.join(tmp, `pred-${tag}.csv`);
    const e = strata('eval', '--run', runId, '--data', other, '--out', evalOut, '--json', ...flags);
    expect(e.code, e.stderr).toBe(0);
    const p = strata('predict', '--run', runId, '--images', path.join(other, 'images'), '--out', predOut, '--json', ...flags);
    expect(p.code, p.stderr).toBe(0);
    return { e: json(e), p: json(p), evalRows: rows(evalOut), predRows: rows(predOut) };
  }

  it("applies the run's cut on both, named in their postprocess, and writes the same masks", () => {
    const cut = withStore((s) => s.get(runId).postprocess?.saltCut);
    const r = both('stored');
    expect(r.e['postprocess']).toMatchObject({ saltCut: cut, source: 'stored' });
    expect(r.p['postprocess']).toEqual(r.e['postprocess']);
    expect(r.predRows).toEqual(r.evalRows);
    expect(r.predRows.size).toBe(16);
  });

  it('empties every image on both when the stored cut is above every salt probability', () => {
    // A sigmoid is below 1 in float32 for any logit the tiny head gives after 2 epochs: a cut of 1 votes every image empty.
    withStore((s) => {
      const pp = s.get(runId).postprocess;
      if (!pp) throw new Error('no stored post-processing');
      s.update(runId, { postprocess: { ...pp, saltCut: 1 } });
    });
    const r = both('cut1');
    expect(r.e['postprocess']).toMatchObject({ saltCut: 1 });
    expect(r.p['postprocess']).toEqual(r.e['postprocess']);
    expect([...r.evalRows.values()].every((rle) => rle === '')).toBe(true);
    expect(r.predRows).toEqual(r.evalRows);
    // All predicted empty: the score is the share of empty images among the 16 (an empty image scores 1, a salt one 0).
    const rle = new Map(readFileSync(path.join(TGS_DIR, 'train.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',') as [string, string]));
    const empty = files.slice(100, 116).filter((f) => (rle.get(f.replace(/\.png$/, '')) ?? 'missing').trim() === '').length;
    expect(empty).toBeGreaterThan(0);
    expect(empty).toBeLessThan(16);
    expect(r.e['score']).toBeCloseTo(empty / 16, 12);
  });

  it('has no vote with --postprocess none, on both', () => {
    const r = both('none', '--postprocess', 'none');
    expect(r.e['postprocess']).toMatchObject({ threshold: 0.5, minArea: 0, tta: false, ensemble: 1, source: 'none' });
    expect(r.e['postprocess']).not.toHaveProperty('saltCut');
    expect(r.p['postprocess']).toEqual(r.e['postprocess']);
    expect(r.predRows).toEqual(r.evalRows);
  });
});
