/**
 * A runs folder the lab cannot open (an index.sqlite that is not a database, one written by a newer
 * Strata) is a message naming the file and what to do, not a stack trace: `npm run lab` (a real
 * process) exits 2 with it, and the desktop app's error box says it with the desktop's own way out.
 * The file is left as it was. (The CLI: test/cli/storeOpen.test.ts.)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startupErrorText } from '../../src-main/electron/startup';
import { LabService } from '../../src-main/lab/service';
import { SCHEMA_VERSION } from '../../src-main/runs/schema';
import { openDatabase } from '../../src-main/runs/sqlite';
import { RunStore } from '../../src-main/runs/store';
import { REPO_ROOT } from '../helpers/paths';
import { scratchDir } from '../lab/helpers';

const NOT_CHANGED = 'Nothing in it was changed. Open it with a Strata that reads it, or';

/** A Strata home whose runs folder holds an index this build cannot open; returns the home and the index. */
function badHome(kind: 'garbage' | 'newer'): { home: string; index: string } {
  const home = scratchDir(`store-open-${kind}`);
  const runs = path.join(home, 'runs');
  const index = path.join(runs, 'index.sqlite');
  if (kind === 'garbage') {
    mkdirSync(runs, { recursive: true });
    writeFileSync(index, 'this is not a database\n'.repeat(200));
  } else {
    RunStore.open(runs).close();
    const db = openDatabase(index);
    db.exec('UPDATE schema_version SET version = 99');
    db.close();
  }
  return { home, index };
}

/**
 * Runs `npm run lab` on `home`, with its default UI folder (the repository's dist/renderer) on
 * purpose: the lab must refuse the runs folder before it would build the UI there, so nothing
 * is built and the message is all it prints (it built first when the UI was missing or stale).
 */
function lab(home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { STRATA_RUNS_DIR: _r, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src-main/lab/transport/http/main.ts'), '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...env, STRATA_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

const reasons = {
  garbage: (index: string) => `Cannot open the run index ${index}: file is not a database`,
  newer: (index: string) => `${index} was written by a newer Strata (index schema 99; this build knows up to ${SCHEMA_VERSION})`,
};

describe('a runs folder the lab cannot open', () => {
  for (const kind of ['garbage', 'newer'] as const) {
    it(`npm run lab (${kind} index) exits 2 naming the file and what to do, and leaves the file alone`, async () => {
      const { home, index } = badHome(kind);
      const before = readFileSync(index);
      const r = await lab(home);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      // The message, and nothing else: no stack trace, and no UI build before it.
      expect(r.stderr).toBe(`lab: ${reasons[kind](index)}.\n${NOT_CHANGED} start the lab with --runs-dir DIR (or STRATA_RUNS_DIR=DIR) to use another runs folder.\n`);
      expect(readFileSync(index).equals(before)).toBe(true);
    });

    it(`the desktop app's error box (${kind} index) names the file and the desktop's way out`, () => {
      const { home, index } = badHome(kind);
      let err: unknown;
      try {
        LabService.open({ dataDir: home, runsDir: path.join(home, 'runs') }).close();
      } catch (e) {
        err = e;
      }
      expect(startupErrorText(err, '/logs/main.log')).toBe(
        `${reasons[kind](index)}.\n${NOT_CHANGED} set STRATA_RUNS_DIR (or STRATA_HOME) to use another runs folder.\n\nThe log has the details: /logs/main.log`,
      );
    });
  }
});
