/**
 * Starts a bundled main process (an app folder's dist/main/electron/main.js) under Electron's Node
 * with `electron` resolved to the recording stand-in (electron.mjs, through register.mjs), until it
 * exits; returns its exit code, its output and the calls it made. Used by the desktop smoke test on
 * the built app and by the packaging test on the app extracted from app.asar.
 *
 * THIS IS NOT ELECTRON: see electron.mjs for what the stand-in does and test/electron/desktopSmoke.test.ts
 * for what this can and cannot show.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REGISTER = fileURLToPath(new URL('./register.mjs', import.meta.url));

/** One recorded call to the stand-in. */
export interface Call {
  call: string;
  args: unknown[];
}

/** How a start ended. */
export interface Run {
  code: number | null;
  /** stdout and stderr together. */
  stderr: string;
  calls: Call[];
  /** The stand-in's folder: app.getPath(name) is `<standinDir>/<name>` (logs, userData...). */
  standinDir: string;
}

/** What {@link runMain} starts. */
export interface MainStart {
  /** Electron's Node (test/helpers/electronNode.ts). */
  node: string;
  /** The app folder: package.json, dist/, node_modules; app.getAppPath() returns it. */
  appDir: string;
  /** A folder of this start's own: the stand-in's folder and its record go there. */
  dir: string;
  /** Added to the environment (STRATA_HOME, STANDIN_PACKAGED...). */
  env?: NodeJS.ProcessEnv;
  /** Run as this user and group (a test running as root meets permission bits that way). */
  uid?: number;
  gid?: number;
  timeoutMs?: number;
}

/** Runs package.json's `main` of `appDir` with the stand-in until it exits (it quits once the page is loaded). */
export function runMain(start: MainStart): Promise<Run> {
  const { node, appDir, dir, env = {}, timeoutMs = 90_000 } = start;
  const standinDir = path.join(dir, 'electron');
  const record = path.join(dir, 'calls.jsonl');
  const main = (JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8')) as { main: string }).main;
  const { STRATA_RUNS_DIR: _r, STRATA_HOME: _h, NODE_OPTIONS: _n, ...base } = process.env;
  const child = spawn(node, ['--import', REGISTER, path.join(appDir, main)], {
    cwd: appDir,
    env: { ...base, STANDIN_DIR: standinDir, STANDIN_RECORD: record, STANDIN_APP_DIR: appDir, STANDIN_QUIT_AFTER_LOAD: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(start.uid === undefined ? {} : { uid: start.uid }),
    ...(start.gid === undefined ? {} : { gid: start.gid }),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the main process did not exit within ${timeoutMs} ms; output:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const calls = existsSync(record)
        ? readFileSync(record, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Call)
        : [];
      resolve({ code, stderr, calls, standinDir });
    });
  });
}

/** The calls of one name, in order. */
export const named = (r: Run, call: string): Call[] => r.calls.filter((c) => c.call === call);
/** The index of a call's first occurrence (-1 when never made). */
export const order = (r: Run, call: string): number => r.calls.findIndex((c) => c.call === call);
