/**
 * The run store and training under the Node that Electron 40 runs (24.11.1, from the npm registry's
 * node-<platform>-<arch> package, see test/helpers/electronNode.ts), beside the project's Node 20:
 * - the run store's own test files pass there, on node:sqlite (no native addon);
 * - a run written by one runtime opens in the other, both ways, and each can add to it;
 * - a short training run on `tiny` completes there from the CLI, in the trainer process it forks,
 *   with its store writes, in the default store that the lab opens.
 * This is not Electron: it shows the desktop app's runtime (its ABI and node:sqlite), not its windows.
 * Without the registry the Node download fails and so do these tests, with npm's message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLabDirs } from '../../src-main/lab/paths';
import { RunStore } from '../../src-main/runs/store';
import { ELECTRON_NODE_VERSION, electronNode, electronNodeUnavailable } from '../helpers/electronNode';
import { REPO_ROOT } from '../helpers/paths';

const unavailable = electronNodeUnavailable();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-runtime-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The environment of a child: none of this vitest's own variables, nor a forced driver or store. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|TINYPOOL)/.test(k) || ['NODE_OPTIONS', 'STRATA_SQLITE', 'STRATA_HOME', 'STRATA_RUNS_DIR'].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(node: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000): Ran {
  const r = spawnSync(node, args, { cwd: REPO_ROOT, encoding: 'utf8', env: childEnv(env), timeout });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FIXTURE = path.join(REPO_ROOT, 'test/runtime/fixtures/roundTrip.ts');
function fixture(node: string, args: string[], env: NodeJS.ProcessEnv = {}): Record<string, unknown> {
  const r = run(node, ['--import', 'tsx', FIXTURE, ...args], env);
  expect(r.code, `${path.basename(node)} roundTrip ${args.join(' ')}: ${r.stderr}`).toBe(0);
  expect(r.stderr).toContain('StrataFixtureWarning: a warning of the fixture itself');
  expect(r.stderr).not.toContain('ExperimentalWarning');
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe.skipIf(unavailable !== null)(`under Electron's Node ${ELECTRON_NODE_VERSION}${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let node24 = '';
  const node20 = process.execPath;
  beforeAll(() => {
    node24 = electronNode();
  }, 300_000);

  it('the run store tests pass there, on node:sqlite', () => {
    const report = path.join(tmp, 'vitest-report.json');
    const files = ['test/runs/store.test.ts', 'test/runs/sqlite.test.ts', 'test/runs/metrics.test.ts'];
    const r = run(node24, ['node_modules/vitest/vitest.mjs', 'run', ...files, '--reporter=json', `--outputFile=${report}`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('SQLite is an experimental feature');
    const json = JSON.parse(readFileSync(report, 'utf8')) as {
      success: boolean;
      numFailedTests: number;
      numPassedTests: number;
      testResults: { name: string; assertionResults: { title: string; ancestorTitles: string[]; status: string }[] }[];
    };
    expect(json.success).toBe(true);
    expect(json.numFailedTests).toBe(0);
    expect(json.testResults.map((t) => path.relative(REPO_ROOT, t.name)).sort()).toEqual([...files].sort());
    const tests = json.testResults.flatMap((t) => t.assertionResults);
    // The store test that checks the driver ran and passed: the store opened its index with node:sqlite.
    expect(tests.find((t) => t.title === 'opens its index with node:sqlite where this Node has it, else better-sqlite3')?.status).toBe('passed');
    const nodeDriver = tests.filter((t) => t.ancestorTitles.includes('driver node'));
    expect(nodeDriver.length).toBeGreaterThanOrEqual(5);
    expect(nodeDriver.every((t) => t.status === 'passed')).toBe(true);
    expect(json.numPassedTests).toBeGreaterThanOrEqual(25);
  });

  it('refuses a forced better-sqlite3 built for another Node with a message naming both', () => {
    const r = run(node24, ['--import', 'tsx', FIXTURE, 'write', path.join(tmp, 'forced')], { STRATA_SQLITE: 'better-sqlite3' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`STRATA_SQLITE=better-sqlite3, but better-sqlite3 cannot be loaded in Node ${ELECTRON_NODE_VERSION}:`);
    // Built by npm ci for this Node 20 (its ABI), so Node 24 names the mismatch.
    if (process.versions.modules !== '137') expect(r.stderr).toContain(`NODE_MODULE_VERSION ${process.versions.modules}`);
  });

  for (const [writer, reader] of [['24', '20'], ['20', '24']] as const) {
    it(`a run written by Node ${writer} opens in Node ${reader}, which adds to it`, () => {
      const bin = (v: '20' | '24') => (v === '24' ? node24 : node20);
      const driverOf = (v: '20' | '24') => (v === '24' ? 'node' : 'better-sqlite3');
      const version = (v: '20' | '24') => (v === '24' ? ELECTRON_NODE_VERSION : process.versions.node);
      const root = path.join(tmp, `from-${writer}`);

      const w = fixture(bin(writer), ['write', root]);
      expect(w).toMatchObject({ driver: driverOf(writer), node: version(writer) });
      const id = w['id'] as string;

      const r = fixture(bin(reader), ['read', root, id]);
      expect(r['driver']).toBe(driverOf(reader));
      expect(r['run']).toMatchObject({
        id,
        name: `written by Node ${version(writer)}`,
        status: 'done',
        epochsDone: 1,
        best: { epoch: 0, score: 0.125, metric: 'valScore' },
        lastCheckpoint: { epoch: 0, step: 1 },
        startedAt: 1000,
        endedAt: 1400,
        durationMs: 400,
        versions: { node: version(writer) },
        split: { val: ['00a3af90ab', '00b3a6e1fa'] },
      });
      expect(r['run']).not.toHaveProperty('pid');
      expect(r['batches']).toEqual([
        { step: 0, epoch: 0, batch: 0, loss: 0.9, iou: 0.1, lr: 0.01, imagesPerSec: 50, time: 1100 },
        { step: 1, epoch: 0, batch: 1, loss: 'NaN', iou: 0.2, lr: 0.01, imagesPerSec: 51.5, time: 1200 },
      ]);
      expect(r['epochs']).toEqual([
        {
          epoch: 0, step: 1, trainLoss: 0.8, trainIoU: 0.15, valLoss: 0.7, valIoU: 0.25, valPixelIoU: 0.3, valScore: 0.125,
          bestThreshold: 0.45, lr: 0.01, imagesPerSec: 50.75, epochSeconds: 0.2, time: 1300, extra: { gradRatio: 1.5, jump: 'Infinity', none: 'NaN' },
        },
      ]);
      expect(r['events']).toEqual([
        { time: 1300, step: 1, epoch: 0, type: 'checkpoint', message: 'checkpoint saved (epoch 1, new best)', data: { best: true, node: version(writer) } },
      ]);
      expect(r['checkpoint']).toEqual({ epoch: 0, step: 1, data: [0.5, -1, 2] });

      // Back in the writer's runtime: the reader's own write is there.
      const back = fixture(bin(writer), ['read', root, id]);
      expect((back['events'] as { message: string }[]).map((e) => e.message)).toEqual([
        'checkpoint saved (epoch 1, new best)',
        `read by Node ${version(reader)}`,
      ]);
    });
  }

  it('trains tiny for an epoch from the CLI, its trainer on that Node, into the store the lab opens', () => {
    const home = path.join(tmp, 'home');
    const processLog = path.join(tmp, 'processes.jsonl');
    const hook = pathToFileURL(path.join(REPO_ROOT, 'test/runtime/fixtures/recordProcess.mjs')).href;
    const r = run(
      node24,
      ['--import', 'tsx', 'src-main/cli/strata.ts', 'train', '--arch', 'tiny', '--data', 'demo', '--demo-count', '24', '--epochs', '1', '--batch', '4', '--json'],
      { STRATA_HOME: home, NODE_OPTIONS: `--import=${hook}`, STRATA_TEST_PROCESS_LOG: processLog },
      240_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('ExperimentalWarning');
    const out = JSON.parse(r.stdout) as { runId: string; status: string; epochsDone: number; runsDir: string };
    expect(out.status).toBe('done');
    expect(out.epochsDone).toBe(1);
    expect(out.runsDir).toBe(path.join(home, 'runs'));

    // Which Node ran which process: the CLI, and the trainer it forked, both Electron's Node.
    const procs = readFileSync(processLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid: number; ppid: number; node: string; script: string });
    const cli = procs.find((p) => p.script.endsWith(path.join('src-main', 'cli', 'strata.ts')));
    expect(cli?.node).toBe(ELECTRON_NODE_VERSION);
    const trainer = procs.find((p) => /trainerProcess\.[jt]s$/.test(p.script) && p.ppid === cli?.pid);
    expect(trainer, JSON.stringify(procs)).toBeDefined();
    expect(trainer?.node).toBe(ELECTRON_NODE_VERSION);

    // The lab's default store for that home is where the run is; this Node 20 reads what Node 24 wrote.
    const store = RunStore.open(resolveLabDirs({}, { STRATA_HOME: home }).runsDir);
    try {
      const run = store.get(out.runId);
      expect(run.status).toBe('done');
      expect(run.epochsDone).toBe(1);
      expect(run.versions.node).toBe(ELECTRON_NODE_VERSION);
      expect(run.lastCheckpoint?.epoch).toBe(0);
      const epochs = store.epochMetrics(out.runId);
      expect(epochs.map((e) => e.epoch)).toEqual([0]);
      expect(Number.isFinite(epochs[0]?.trainLoss)).toBe(true);
      const batches = store.batchMetrics(out.runId);
      expect(batches.length).toBeGreaterThan(0);
      expect(batches.map((b) => b.step)).toEqual(batches.map((_, i) => i));
      expect(store.events(out.runId).map((e) => e.type)).toContain('checkpoint');
      expect(store.checkpointInfo(out.runId, 'last')?.epoch).toBe(0);
    } finally {
      store.close();
    }
  });
});
