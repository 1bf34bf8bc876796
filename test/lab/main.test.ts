/** `npm run lab` as a process: the first stdout line is the address with the token, which appears nowhere else. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';
import { scratchDir } from './helpers';

describe('npm run lab', () => {
  it('prints its address first, serves the API with the token, and stops on SIGTERM', async () => {
    const home = scratchDir('main');
    // A UI folder of its own (the test uses only the API), so the lab never builds the repository's UI mid-suite.
    const ui = scratchDir('ui');
    const { STRATA_RUNS_DIR: _runs, ...env } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src-main/lab/transport/http/main.ts'), '--port', '0', '--static-dir', ui], {
      cwd: REPO_ROOT,
      env: { ...env, STRATA_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const firstLine = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const nl = stdout.indexOf('\n');
        if (nl >= 0) resolve(stdout.slice(0, nl));
      });
      child.on('exit', (code) => reject(new Error(`lab exited with ${code}: ${stderr}`)));
    });
    expect(firstLine).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    const url = new URL(firstLine);
    const token = url.searchParams.get('token') ?? '';
    const res = await fetch(`${url.origin}/api/listDatasets`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await fetch(`${url.origin}/api/listDatasets`, { method: 'POST' }).then((r) => r.status)).toBe(401);

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain(`runs in ${path.join(home, 'runs')}`);
    expect(stdout.split(token).length - 1).toBe(1);
    expect(stderr).not.toContain(token);
  });
});
