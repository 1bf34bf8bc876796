/**
 * A claimer process (test/runs/fixtures/claimer.ts) driven from a test: a real, live process other
 * than the test's that claims runs of a store when told to, and holds them while it lives.
 */
import path from 'node:path';
import readline from 'node:readline';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { expect } from 'vitest';
import { REPO_ROOT } from './paths';

const FIXTURE = path.join(REPO_ROOT, 'test/runs/fixtures/claimer.ts');

export interface Claimer {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  /** The next result line the claimer printed (`{ id, pid, ok, ... }` for each `claim <id>` written to its stdin). */
  next(): Promise<Record<string, unknown>>;
}

/** Starts a claimer process on the store at `root` and waits until it is ready. */
export async function startClaimer(root: string): Promise<Claimer> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, root], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w.resolve(l);
    else lines.push(l);
  });
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`claimer exited (${code}): ${err}`));
  });
  const line = () =>
    new Promise<string>((resolve, reject) => {
      const held = lines.shift();
      if (held !== undefined) resolve(held);
      else waiting.push({ resolve, reject });
    });
  const ready = await line();
  expect(ready).toBe(`ready ${child.pid}`);
  return { child, pid: child.pid as number, next: async () => JSON.parse(await line()) as Record<string, unknown> };
}
