/**
 * The app's main process killed during training (real SIGKILLs of a real `npm run lab` process):
 * alone, so its trainer sees the channel close and ends the run itself; and together with its trainer
 * (the whole process group), so nobody records anything. Either way the next start opens the store
 * cleanly, shows the run as interrupted with the reason, and resumes it to the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrainerMessage } from '../../shared/training/protocol';
import { isProcessAlive } from '../../src-main/runs/liveness';
import { REPO_ROOT } from '../helpers/paths';
import { openLab, scratchDir, waitFor } from '../lab/helpers';

interface Lab {
  child: ChildProcess;
  api: (name: string, params?: unknown) => Promise<unknown>;
}

/** Starts `npm run lab` on `home` in its own process group and returns a caller for its HTTP API. */
async function startLab(home: string): Promise<Lab> {
  const { STRATA_RUNS_DIR: _runs, ...env } = process.env;
  // A UI folder of its own (the test uses only the API), so the lab never builds the repository's UI mid-suite.
  const ui = scratchDir('ui');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src-main/lab/transport/http/main.ts'), '--port', '0', '--static-dir', ui], {
    cwd: REPO_ROOT,
    env: { ...env, STRATA_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`lab exited with ${code}`)));
  });
  const url = new URL(first);
  const token = url.searchParams.get('token') ?? '';
  const api = async (name: string, params: unknown = {}) => {
    const res = await fetch(`${url.origin}/api/${name}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(params),
    });
    const body = (await res.json()) as { ok: boolean; value?: unknown };
    if (!res.ok || !body.ok) throw new Error(`${name}: ${res.status} ${JSON.stringify(body)}`);
    return body.value;
  };
  return { child, api };
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

describe.each([
  { killed: 'the main process alone', group: false, reason: 'the app that started this run went away' },
  { killed: 'the main process and its trainer', group: true, reason: /^the process that ran it exited unexpectedly \(pid \d+\)$/ },
])('an app crash: $killed killed mid-run', ({ group, reason }) => {
  it('reopens cleanly, shows the run interrupted with the reason, and resumes it to the end', async () => {
    const home = scratchDir('app-crash');
    const lab = await startLab(home);
    const run = (await lab.api('startRun', {
      design: { kind: 'preset', name: 'tiny' },
      datasetId: 'demo',
      demoCount: 24,
      config: { epochs: 3, batch: 8, backend: 'wasm', valFraction: 0.25 },
    })) as { id: string };
    await waitFor('the first committed epoch', async () => {
      const r = (await lab.api('getRun', { id: run.id })) as { epochsDone: number };
      return r.epochsDone >= 1 ? true : undefined;
    });
    const queue = (await lab.api('getQueue')) as { active: { pid: number } | null };
    const trainerPid = queue.active?.pid ?? -1;
    expect(isProcessAlive(trainerPid)).toBe(true);

    const gone = exited(lab.child);
    process.kill(group ? -(lab.child.pid ?? 0) : (lab.child.pid ?? 0), 'SIGKILL');
    await gone;
    await waitFor('the trainer to end', () => (isProcessAlive(trainerPid) ? undefined : true), 60_000);

    // The next start: the same folders, opened by a fresh lab service.
    const next = openLab(home, { shutdownGraceMs: 2000 });
    try {
      const record = next.getRun({ id: run.id });
      expect(record.status).toBe('interrupted');
      if (typeof reason === 'string') expect(record.statusReason).toBe(reason);
      else expect(record.statusReason).toMatch(reason);
      expect(record.epochsDone).toBeGreaterThanOrEqual(1);
      expect(next.getEpochMetrics({ id: run.id }).map((e) => e.epoch)).toEqual(Array.from({ length: record.epochsDone }, (_, e) => e));
      expect(record.lastCheckpoint?.epoch).toBe(record.epochsDone - 1);
      expect(next.getQueue()).toEqual({ active: null, queued: [] });

      const messages: TrainerMessage[] = [];
      next.onRunEvent({ runId: run.id }, (m) => messages.push(m));
      next.resumeRun({ id: run.id });
      expect(await waitFor('the resumed run to end', () => messages.find((m) => m.type === 'ended'))).toMatchObject({ status: 'done' });
      expect(next.getRun({ id: run.id })).toMatchObject({ status: 'done', epochsDone: 3 });
      expect(next.getEpochMetrics({ id: run.id }).map((e) => e.epoch)).toEqual([0, 1, 2]);
    } finally {
      await next.close();
    }
  });
});
