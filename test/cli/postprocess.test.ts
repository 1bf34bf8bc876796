/**
 * `strata eval` and `strata predict` apply one post-processing: a real tiny run trained here on
 * real TGS images (linked from ../shared/tgs into a temp folder), then both commands on the same
 * other real images, as real processes. The masks eval scores (its --out) and predict's submission
 * are the same file, with the run's stored post-processing and with --postprocess none.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRle } from '../../shared/data/rle';
import { cliSandbox, json, tgsLinks } from '../helpers/cli';
import { TGS_DIR } from '../helpers/paths';

const { tmp, strata, withStore } = cliSandbox('cli-pp');

/** A TGS-layout folder of links to the real images (and masks) `names`. */
const tgsFolder = (name: string, names: string[]): string => tgsLinks(path.join(tmp, name), names);

/** A submission file's masks by id. */
function masksOf(file: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
    const [id, rle] = line.split(',');
    const m = decodeRle(rle ?? '', 101, 101);
    if (!m.ok) throw new Error(`${file}: ${id}: ${m.error}`);
    out.set(id ?? '', Array.from(m.mask));
  }
  return out;
}

describe('eval and predict apply the same post-processing', () => {
  const files = readdirSync(path.join(TGS_DIR, 'images')).sort();
  const train = tgsFolder('train', files.slice(0, 32));
  const other = tgsFolder('other', files.slice(100, 116));
  let runId = '';

  it('trains a tiny run that stores its post-processing', () => {
    const r = strata('train', '--arch', 'tiny', '--data', train, '--epochs', '2', '--batch', '8', '--snapshots', '2', '--backend', 'wasm', '--json');
    expect(r.code, r.stderr).toBe(0);
    runId = String(json(r)['runId']);
    const show = json(strata('runs', 'show', runId, '--json'));
    expect(show['postprocess']).toMatchObject({ tta: true, valImages: expect.any(Number) });
    expect(strata('runs', 'show', runId).stdout).toMatch(/postproc\. {2}(best checkpoint \(epoch [12]\)|mean prediction of 2 snapshots \(epochs 1, 2\)), flip TTA, threshold [0-9.]+ \(tuned\), minimum area \d+ px \(tuned\); validation score/);
  });

  it('writes the same masks from eval as predict, by default with the run\'s post-processing', () => {
    const pp = json(strata('runs', 'show', runId, '--json'))['postprocess'] as { threshold: number; minArea: number; snapshots: number; checkpointEpochs: number[]; members: string };
    const evalOut = path.join(tmp, 'eval.csv');
    const e = strata('eval', '--run', runId, '--data', other, '--out', evalOut, '--json');
    expect(e.code, e.stderr).toBe(0);
    const ej = json(e);
    const expected = { threshold: pp.threshold, minArea: pp.minArea, tta: true, ensemble: pp.snapshots, source: 'stored' };
    expect(ej['postprocess']).toMatchObject(expected);
    expect(ej['threshold']).toBe(pp.threshold);
    expect(e.stderr).toContain("the run's post-processing: ");
    // None of these images is in the run's split: no warning.
    expect(ej['overlap']).toEqual({ train: 0, val: 0, test: 0 });
    expect(e.stderr).not.toContain('warning');
    // A threshold tuned on these images is not a headline figure: only in its own, named block.
    for (const k of ['bestThreshold', 'bestScore', 'sweep']) expect(ej).not.toHaveProperty(k);
    expect(ej['tunedOnTheseImages']).toMatchObject({ minArea: pp.minArea, note: 'tuned on the evaluated images: an optimistic figure, not a held-out score' });
    const predOut = path.join(tmp, 'pred.csv');
    const p = strata('predict', '--run', runId, '--images', path.join(other, 'images'), '--out', predOut, '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(json(p)['postprocess']).toEqual(ej['postprocess']);
    expect(masksOf(predOut)).toEqual(masksOf(evalOut));
    expect(masksOf(predOut).size).toBe(16);
    // The score eval reports is the score of those masks.
    const s = json(strata('score', '--truth', path.join(other, 'masks'), '--pred', predOut, '--json'));
    expect(s['score']).toBe(ej['score']);
  });

  it('gives the best checkpoint\'s raw masks at 0.5 with --postprocess none, on both, and --threshold overrides', () => {
    const evalOut = path.join(tmp, 'eval-none.csv');
    const e = json(strata('eval', '--run', runId, '--data', other, '--postprocess', 'none', '--out', evalOut, '--json'));
    expect(e['postprocess']).toMatchObject({ threshold: 0.5, minArea: 0, tta: false, ensemble: 1, source: 'none' });
    const predOut = path.join(tmp, 'pred-none.csv');
    const p = json(strata('predict', '--run', runId, '--images', path.join(other, 'images'), '--out', predOut, '--postprocess', 'none', '--json'));
    expect(p['postprocess']).toEqual(e['postprocess']);
    expect(masksOf(predOut)).toEqual(masksOf(evalOut));
    const st = json(strata('eval', '--run', runId, '--data', other, '--threshold', '0.3', '--json'));
    expect(st['postprocess']).toMatchObject({ threshold: 0.3, tta: true, source: 'stored' });
    // The tuned block sweeps the threshold with the rest of the applied rule held: at 0.3 it is the headline score, and its best is no lower.
    const tuned = st['tunedOnTheseImages'] as { threshold: number; score: number; minArea: number; sweep: { threshold: number; score: number }[] };
    expect(tuned.minArea).toBe((st['postprocess'] as { minArea: number }).minArea);
    expect(tuned.sweep.map((p) => p.threshold)).toEqual(Array.from({ length: 19 }, (_, k) => (k + 1) / 20));
    expect(tuned.sweep.find((p) => p.threshold === 0.3)?.score).toBe(st['score']);
    expect(tuned.score).toBe(Math.max(...tuned.sweep.map((p) => p.score)));
    expect(tuned.sweep.find((p) => p.threshold === tuned.threshold)?.score).toBe(tuned.score);
    // In text, the tuned figure comes with its caveat.
    const text = strata('eval', '--run', runId, '--data', other, '--postprocess', 'none');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/\n {2}tuned on the evaluated images: an optimistic figure, not a held-out score: the best threshold \(minimum area 0 px\) would be [0-9.]+, score [0-9.]+\n/);
  });

  it("counts the images of the run's own split, and warns when it trained or chose on them", () => {
    // Files 24-39: 8 of the 32 the run was trained and validated on, 8 it never saw.
    const mixed = tgsFolder('mixed', files.slice(24, 40));
    const split = json(strata('runs', 'show', runId, '--json'))['split'] as { train: string[]; val: string[]; test: string[] };
    const ids = files.slice(24, 40).map((f) => f.replace(/\.png$/, ''));
    const train = ids.filter((id) => split.train.includes(id)).length;
    const val = ids.filter((id) => split.val.includes(id)).length;
    expect(train + val).toBe(8);
    const r = strata('eval', '--run', runId, '--data', mixed, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)['overlap']).toEqual({ train, val, test: 0 });
    const warned = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warned).toEqual([
      ...(train > 0 ? [`warning: ${train} of these images were in the run's training split: this is not a held-out score`] : []),
      ...(val > 0 ? [`warning: ${val} of these images were in the run's validation split, on which its checkpoint and post-processing were chosen: this is not a held-out score`] : []),
    ]);
  });

  it('refuses a folder without masks before predicting anything', () => {
    const r = strata('eval', '--run', runId, '--data', path.join(other, 'images'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`strata: ${path.join(other, 'images')}: has no masks, so there is nothing to evaluate against (use strata predict)\n`);
    expect(r.stdout).toBe('');
  });

  it('refuses a bad --postprocess or --threshold by name (exit 2)', () => {
    // Both commands read these flags through one parser (postprocessArgs).
    const r = strata('eval', '--run', runId, '--data', other, '--postprocess', 'foo');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("strata: --postprocess: 'foo' is not one of run, none\n");
    const t = strata('predict', '--run', runId, '--images', other, '--out', path.join(tmp, 'x.csv'), '--threshold', '1.5');
    expect(t.code).toBe(2);
    expect(t.stderr).toBe('strata: --threshold: 1.5 is above the maximum 1\n');
  });

  it('predicts a run without stored post-processing as before and says so; runs finalize chooses one once, and again only with --again', () => {
    // As an older Strata left it: no post-processing stored.
    const best = withStore((s) => {
      s.update(runId, { postprocess: null, test: null });
      const run = s.get(runId);
      return s.epochMetrics(runId).find((m) => m.epoch === run.best?.epoch)?.bestThreshold;
    });
    const e = strata('eval', '--run', runId, '--data', other, '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(json(e)['postprocess']).toMatchObject({ threshold: best, minArea: 0, tta: false, ensemble: 1, source: 'legacy' });
    expect(e.stderr).toContain(`run ${runId} has no stored post-processing`);
    const f = strata('runs', 'finalize', runId, '--json');
    expect(f.code, f.stderr).toBe(0);
    expect(json(f)).toMatchObject({ runId, postprocess: { tta: true }, test: null });
    withStore((s) => expect(s.get(runId).postprocess).toEqual(json(f)['postprocess']));
    const again = strata('runs', 'finalize', runId);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`^strata: run ${runId} already has its post-processing \\(chosen .*; pass --again to choose it again\\n$`));
    // --again chooses it anew from the same validation images and checkpoints: the same rule, a new time.
    const redo = strata('runs', 'finalize', runId, '--again', '--json');
    expect(redo.code, redo.stderr).toBe(0);
    const { at: firstAt, ...first } = json(f)['postprocess'] as Record<string, unknown>;
    const { at: redoAt, ...second } = json(redo)['postprocess'] as Record<string, unknown>;
    expect(second).toEqual(first);
    expect(redoAt).not.toBe(firstAt);
  });
});
