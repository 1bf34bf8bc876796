/**
 * `strata --version` and `strata <command> --help`: exit 0 with the version or the command's usage line and
 * the options its parser takes, and never run the command. And a negative value after its flag is a value.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliSandbox } from '../helpers/cli';
import { REPO_ROOT } from '../helpers/paths';

const { tmp, strata } = cliSandbox('help');

describe('strata --help and --version', () => {
  it('prints the version of package.json', () => {
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = strata(flag);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`strata ${version}\n`);
    }
  });

  it("answers each command's --help with its usage and options, exit 0, without running it", () => {
    const runsDir = path.join(tmp, 'runs');
    const t = strata('train', '--data', 'demo', '--epochs', '1', '--runs-dir', runsDir, '--help');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toBe('');
    expect(t.stdout).toMatch(/^usage: strata train --data <dir\|demo> \[--arch A\]/);
    for (const option of ['--max-minutes VALUE', '--test-ids VALUE', '--no-tta\n', '--json\n']) expect(t.stdout).toContain(option);
    expect(existsSync(runsDir)).toBe(false);

    const r = strata('runs', '-h');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: strata runs list\|show ID/);
    expect(r.stdout).toContain('--again\n');

    // A subcommand's own options; and a command that needs a subcommand still answers --help without one.
    const report = strata('experiment', 'report', '--help');
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('options of experiment report:');
    expect(report.stdout).toContain('--out VALUE');
    const bare = strata('experiment', '--help');
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toMatch(/^usage: strata experiment run FILE/);

    // After `--`, --help is an argument, not a request: the command runs and refuses what is missing.
    const after = strata('eval', '--run', 'x', '--', '--help');
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/^strata: eval: /);
  });

  it('reads `--epochs -1` as `--epochs=-1`: the same message, naming the setting', () => {
    const spaced = strata('train', '--data', 'demo', '--epochs', '-1');
    const joined = strata('train', '--data', 'demo', '--epochs=-1');
    expect(spaced.code).toBe(2);
    expect(spaced.stderr).toBe(joined.stderr);
    expect(spaced.stderr).toContain('--epochs: epochs must be at least 1');
    const lr = strata('train', '--data', 'demo', '--lr', '-.5');
    expect(lr.code).toBe(2);
    expect(lr.stderr).toContain('--lr: learning rate must be above 0');
  });

  it('has a bin entry, so `npx strata` runs the same CLI', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string>; version: string };
    const bin = pkg.bin?.['strata'];
    expect(bin).toBeDefined();
    const file = path.join(REPO_ROOT, bin ?? '');
    accessSync(file, constants.X_OK);
    expect(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const r = spawnSync(process.execPath, [file, '--version'], { cwd: tmp, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`strata ${pkg.version}\n`);
  });
});
