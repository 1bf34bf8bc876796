/**
 * `strata score` and `strata eval` never report a mean over the good rows only (issue 20 item 1):
 * a bad submission or a truth set with holes exits 2 listing every problem by line, and `--lenient`
 * scores missing and undecodable rows as empty predictions, saying how many. Real files; the exit
 * codes through a real `strata` process once each, the many cases in this process (fast).
 */
import { mkdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src-main/cli/args';
import { evalCommand } from '../../src-main/cli/commands/eval';
import { scoreCommand } from '../../src-main/cli/commands/score';
import { cliSandbox, json, tgsLinks, type CliResult } from '../helpers/cli';
import { sampleInit } from '../runs/sample';

const { tmp, runsDir, strata, withStore } = cliSandbox('score');

/** Writes `rows` under the submission header to `name` in the sandbox; returns its path. */
function csv(name: string, rows: string[]): string {
  const file = path.join(tmp, name);
  writeFileSync(file, `id,rle_mask\n${rows.join('\n')}\n`);
  return file;
}

// Four 4x4 truth masks, each with salt (an empty prediction of one scores 0).
const TRUTH = ['a,1 4', 'b,5 2', 'c,9 8', 'd,1 16'];
const truth = csv('truth.csv', TRUTH);

/** `strata <command> ...args` in this process: what it writes, and its exit code as the CLI's main gives it. */
async function run(command: (argv: string[]) => Promise<number>, args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  try {
    const code = await command(args);
    return { code, stdout, stderr };
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    return { code: e.exitCode, stdout, stderr: `${stderr}strata: ${e.message}\n` };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
const inProcess = (...args: string[]) => run(scoreCommand, args);
const score = (...args: string[]) => inProcess('--truth', truth, '--size', '4', ...args);

describe('strata score', () => {
  it('a real strata process: 1 for a submission that matches the truth, exit 2 for one that misses an id', () => {
    const ok = strata('score', '--truth', truth, '--size', '4', '--pred', csv('perfect.csv', TRUTH), '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({ score: 1, images: 4 });
    const bad = strata('score', '--truth', truth, '--size', '4', '--pred', csv('three.csv', TRUTH.slice(0, 3)), '--json');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('truth id d (truth line 5) has no row in the submission');
  });

  it('refuses a malformed submission with exit 2, listing every problem by line, and scores nothing', async () => {
    const huge = `${'10202 1 '.repeat(700_000)}`.trim();
    const pred = csv('bad.csv', [
      'a,1 4',
      'b,5 x', // line 3: undecodable
      'c,9 8',
      'c,9 8', // line 5: duplicate
      'e,1 1', // line 6: no truth
      `d,${huge}`, // line 7: a 5 MB line
    ]);
    const r = await score('--pred', pred, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      'bad.csv line 3: RLE of b: pair 1: length "x" is not an integer',
      'bad.csv line 5: a second row for c (first on line 4)',
      'bad.csv line 6: e has no truth',
      'bad.csv line 7: RLE of d: 5599999 characters, longer than any RLE of a 4x4 mask (at most 48)',
      `strata: ${pred}: 4 problem(s) against ${truth} (2 undecodable rows, 1 duplicate ids, 1 ids have no truth), listed above; nothing was scored; --lenient scores undecodable rows and missing ids as empty predictions (duplicates and unknown ids are still refused)`,
    ]);
  });

  it('names pixels past the last one and a truth id without a row', async () => {
    const r = await score('--pred', csv('short.csv', ['a,1 4', 'b,5 2', 'c,16 2']));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('short.csv line 4: RLE of c: pair 1: run 16..17 goes past the last pixel 16 (4x4)');
    expect(r.stderr).toContain('truth id d (truth line 5) has no row in the submission');
  });

  it('--lenient scores an undecodable row and a missing id as empty predictions and says how many', async () => {
    const pred = csv('lenient.csv', ['a,1 4', 'b,5 x', 'c,9 8']);
    const r = await score('--pred', pred, '--lenient', '--json');
    expect(r.code, r.stderr).toBe(0);
    // b and d are empty predictions of salty truths: 0 each; a and c score 1.
    expect(json(r)).toMatchObject({ score: 0.5, images: 4, scoredAsEmpty: { undecodable: 1, missing: 1 } });
    expect(r.stderr).toContain('lenient: 2 of 4 images scored as empty predictions (1 undecodable rows, 1 truth ids without a row)');
    const text = await score('--pred', pred, '--lenient');
    expect(text.stdout).toContain('score 0.5000');
    expect(text.stdout).toContain('2 of 4 images scored as empty predictions');
  });

  it('--lenient still refuses duplicates and ids without truth', async () => {
    const r = await score('--pred', csv('dup.csv', [...TRUTH, 'a,1 4', 'zz,1 1']), '--lenient');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dup.csv line 6: a second row for a (first on line 2)');
    expect(r.stderr).toContain('dup.csv line 7: zz has no truth');
  });

  it('a row with a wrong field count claims its id: a later row for it is a duplicate, and --lenient counts it once, as undecodable', async () => {
    // a's first row has three fields; its second must not quietly stand in for it.
    const dup = await score('--pred', csv('fields.csv', ['a,1 2,x', 'a,1 4', 'b,5 2', 'c,9 8', 'd,1 16']), '--lenient');
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('fields.csv line 3: a second row for a (first on line 2)');
    // A lone bad row for b: one image scored empty, undecodable, not also missing.
    const lone = await score('--pred', csv('lone.csv', ['a,1 4', 'b', 'c,9 8', 'd,1 16']), '--lenient', '--json');
    expect(lone.code, lone.stderr).toBe(0);
    expect(json(lone)).toMatchObject({ score: 0.75, images: 4, scoredAsEmpty: { undecodable: 1, missing: 0 } });
    expect(lone.stderr).toContain('lenient: 1 of 4 images scored as empty predictions (1 undecodable rows, 0 truth ids without a row)');
    // Without --lenient the bad row is named by its line, and b is not also listed as missing.
    const strict = await score('--pred', path.join(tmp, 'lone.csv'));
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain('lone.csv line 3: expected 2 fields (id,rle_mask) with a non-empty id, found 1');
    expect(strict.stderr).not.toContain('truth id b');
  });

  it('refuses a truth file with a bad row or a duplicate: its score would miss that image', async () => {
    const badTruth = csv('badtruth.csv', ['a,1 4', 'b,0 2', 'c,9 8', 'd,1 16', 'd,1 16']);
    const r = await inProcess('--truth', badTruth, '--size', '4', '--pred', csv('p.csv', ['a,1 4', 'c,9 8', 'd,1 16']), '--lenient');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('truth: badtruth.csv line 3: RLE of b: pair 1: start 0 is below 1');
    expect(r.stderr).toContain('truth: badtruth.csv line 6: a second row for d (first on line 5)');
  });
});

describe('strata eval', () => {
  it('refuses a labelled folder whose import skipped an image, naming each problem, before predicting', () => {
    const dir = tgsLinks(path.join(tmp, 'holes'), ['000e218f21.png', '003c477d7c.png', '00441f1cf2.png']);
    unlinkSync(path.join(dir, 'masks', '003c477d7c.png'));
    // A run record is enough: the folder is checked before any checkpoint is loaded.
    const runId = withStore((s) => s.createRun(sampleInit()).id);
    const r = strata('eval', '--run', runId, '--data', dir, '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`strata: ${dir}: 1 problem(s) leave images or their truth out, so nothing was scored (eval scores every image or none):\n  images/003c477d7c.png: no mask (no masks/003c477d7c.png); the image was skipped\n`);
    expect(r.stderr).not.toMatch(/checkpoint/);
  });

  it('counts a repeated id only in the file the truth is read from: not in depths.csv, nor in a train.csv beside masks/ (in process)', async () => {
    const files = ['000e218f21.png', '003c477d7c.png'];
    const runId = withStore((s) => s.createRun(sampleInit()).id);
    const evalOn = (dir: string) => run(evalCommand, ['--run', runId, '--data', dir, '--runs-dir', runsDir]);
    const depths = tgsLinks(path.join(tmp, 'depths-dup'), files);
    writeFileSync(path.join(depths, 'depths.csv'), 'id,z\n000e218f21,10\n000e218f21,10\n003c477d7c,20\n');
    const beside = tgsLinks(path.join(tmp, 'train-beside-masks'), files);
    writeFileSync(path.join(beside, 'train.csv'), 'id,rle_mask\n000e218f21,1 1\n000e218f21,1 1\n003c477d7c,\n');
    for (const dir of [depths, beside]) {
      // Past the truth check, on to the run, which has no checkpoint to predict with.
      const r = await evalOn(dir);
      expect(r.code, dir).toBe(2);
      expect(r.stderr, dir).not.toContain('leave images or their truth out');
      expect(r.stderr, dir).toMatch(/checkpoint/);
    }
    // Where train.csv is the truth (no masks/), its repeated id still refuses the folder.
    const truthCsv = path.join(tmp, 'train-truth-dup');
    mkdirSync(path.join(truthCsv, 'images'), { recursive: true });
    for (const f of files) symlinkSync(path.join(depths, 'images', f), path.join(truthCsv, 'images', f));
    writeFileSync(path.join(truthCsv, 'train.csv'), 'id,rle_mask\n000e218f21,1 1\n003c477d7c,\n003c477d7c,1 1\n');
    const r = await evalOn(truthCsv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${truthCsv}: 1 problem(s) leave images or their truth out, so nothing was scored (eval scores every image or none):\n  train.csv line 4: id 003c477d7c already appeared on line 3; this row was ignored`);
  });
});
