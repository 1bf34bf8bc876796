/**
 * What the store makes durable, read off the system calls a real writer makes (strace): a commit
 * of the index fsyncs its write-ahead log before it returns (`synchronous = FULL`; under NORMAL it
 * would not, and a power cut could take the commit back), and a new run folder is fsynced into its
 * parent before anything is written in it. Skipped, saying why, where strace cannot trace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';
import { scratchDir } from './helpers';

const FIXTURE = path.join(REPO_ROOT, 'test/runs/fixtures/durableWriter.ts');

function straceWorks(): string | null {
  const r = spawnSync('strace', ['-f', '-e', 'trace=fsync', 'true'], { encoding: 'utf8' });
  if (r.error) return `strace is not installed (${r.error.message})`;
  if (r.status !== 0) return `strace cannot trace here: ${r.stderr.trim()}`;
  return null;
}
const noStrace = process.platform === 'linux' ? straceWorks() : 'strace is Linux only';
if (noStrace) console.warn(`durability.test.ts skipped: ${noStrace}`);

/** The main thread's calls between the stdout lines `from` and `to` (strace -y: fds shown with their paths). */
function callsBetween(lines: string[], from: string, to: string): string[] {
  const start = lines.findIndex((l) => l.includes(`"${from}`));
  const end = lines.findIndex((l, i) => i > start && l.includes(`"${to}`));
  expect(start, `stdout line ${from}`).toBeGreaterThanOrEqual(0);
  expect(end, `stdout line ${to}`).toBeGreaterThan(start);
  return lines.slice(start + 1, end);
}

describe.skipIf(noStrace !== null)('what the run store makes durable (strace of a real writer)', () => {
  // Traced in beforeAll, not here: vitest runs a skipped describe's body too (to collect its tests).
  let root = '';
  let r: SpawnSyncReturns<string>;
  let lines: string[] = [];
  let wal = '';
  beforeAll(() => {
    root = path.join(scratchDir('durable'), 'store');
    const trace = path.join(path.dirname(root), 'strace.txt');
    r = spawnSync('strace', ['-f', '-y', '-o', trace, '-e', 'trace=fsync,fdatasync,mkdir,mkdirat,write', process.execPath, '--import', 'tsx', FIXTURE, root], { cwd: REPO_ROOT, encoding: 'utf8' });
    lines = fs.existsSync(trace) ? fs.readFileSync(trace, 'utf8').split('\n') : [];
    wal = `${path.join(root, 'index.sqlite-wal')}>`;
  });

  it('runs the writer', () => {
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^create\ncreated \S+\ncommit\ncommitted\n$/);
  });

  it('fsyncs the index write-ahead log before a commit returns (synchronous = FULL)', () => {
    const calls = callsBetween(lines, 'commit\\n', 'committed\\n');
    expect(calls.filter((l) => /\b(fsync|fdatasync)\(\d+</.test(l) && l.includes(wal))).toHaveLength(1);
  });

  it('fsyncs a new run folder into the runs folder before writing in it', () => {
    const id = /created (\S+)/.exec(r.stdout)?.[1] ?? '';
    const runs = path.join(root, 'runs');
    const calls = callsBetween(lines, 'create\\n', 'created ');
    const made = calls.findIndex((l) => /\bmkdir(at)?\(/.test(l) && l.includes(`${path.join(runs, id)}"`));
    const synced = calls.findIndex((l) => /\bfsync\(\d+</.test(l) && l.includes(`<${runs}>`));
    const firstWrite = calls.findIndex((l) => l.includes(`<${path.join(runs, id)}/`));
    expect(made).toBeGreaterThanOrEqual(0);
    expect(synced).toBeGreaterThan(made);
    expect(firstWrite).toBeGreaterThan(synced);
  });
});
