/**
 * Shared set-up of CLI tests: `strata` as users run it, a real process, on a run store in a temp
 * folder of the test file's own (removed, and any process still running killed, after its tests).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { RunStore } from '../../src-main/runs/store';
import { REPO_ROOT, TGS_DIR } from './paths';
import { withStore } from './store';
import { tempDir } from './tempDir';

/** The CLI's entry point. */
export const STRATA_CLI = path.join(REPO_ROOT, 'src-main/cli/strata.ts');

/** How a `strata` process ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A `strata` process still running: its pid, and how it ends. */
export interface CliProcess {
  child: ChildProcess;
  pid: number;
  done: Promise<CliResult>;
}

export interface CliSandbox {
  /** The temp folder. */
  tmp: string;
  /** The run store the commands use (STRATA_RUNS_DIR), `tmp`/runs. */
  runsDir: string;
  /** Runs `strata ...args` to its end (5 minutes at most). */
  strata: (...args: string[]) => CliResult;
  /** Starts `strata ...args` as its own process. */
  start: (...args: string[]) => CliProcess;
  /** Runs `fn` on the sandbox's run store, closing it afterwards. */
  withStore: <T>(fn: (s: RunStore) => T) => T;
  /** Kills `child` after the tests if it is still running (a process the test started itself). */
  track: (child: ChildProcess) => void;
}

/** A temp folder `strata-<tag>-*` with a run store, and `strata` run on it (with `env` added to this process's environment). */
export function cliSandbox(tag: string, opts: { env?: NodeJS.ProcessEnv } = {}): CliSandbox {
  const tmp = tempDir(tag);
  const runsDir = path.join(tmp, 'runs');
  // tsx is resolved from the working folder; runs go to the temp store through the environment.
  const options = { cwd: REPO_ROOT, env: { ...process.env, ...opts.env, STRATA_RUNS_DIR: runsDir } };
  const live: ChildProcess[] = [];
  // Hooks run in reverse order (vitest's stack), so these go before the folder is removed.
  afterAll(() => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  return {
    tmp,
    runsDir,
    strata: (...args) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', STRATA_CLI, ...args], { ...options, encoding: 'utf8', timeout: 300_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    start: (...args) => {
      const child = spawn(process.execPath, ['--import', 'tsx', STRATA_CLI, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
      live.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const done = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
      return { child, pid: child.pid as number, done };
    },
    withStore: (fn) => withStore(runsDir, fn),
    track: (child) => void live.push(child),
  };
}

/** The one JSON object of a `--json` command; fails if stdout holds anything else. */
export function json(r: { stdout: string }): Record<string, unknown> {
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** A TGS-layout folder `dir` of links to the real images and masks `files` (read without copying them). */
export function tgsLinks(dir: string, files: readonly string[]): string {
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  mkdirSync(path.join(dir, 'masks'));
  for (const f of files) {
    symlinkSync(path.join(TGS_DIR, 'images', f), path.join(dir, 'images', f));
    symlinkSync(path.join(TGS_DIR, 'masks', f), path.join(dir, 'masks', f));
  }
  return dir;
}
