/**
 * A fake lab for the store tests: a StrataApi whose listed methods answer (calls asynchronously,
 * streams synchronously) and whose other methods fail the test, with every call recorded and the
 * run-change and trainer streams in the test's hands.
 */
import type { StrataApi } from '../../shared/api/channels';
import type { RunsChanged } from '../../shared/api/types';
import type { TrainerMessage } from '../../shared/training/protocol';
import { setLab } from '../../src-renderer/api/labContext';
import type { ConnectionState } from '../../src-renderer/api/index';

type Impl = Partial<Record<keyof StrataApi, (...args: unknown[]) => unknown>>;

/** What a test sees of the fake lab. */
export interface FakeLab {
  /** Method names in call order (streams included). */
  calls: string[];
  /** Sends a run change to every onRunsChanged listener. */
  runsChanged(e: RunsChanged): void;
  /** Sends a trainer message to run `runId`'s onRunEvent listeners. */
  runEvent(runId: string, m: TrainerMessage): void;
  /** Changes the socket's state (browser mode). */
  link(s: ConnectionState): void;
  /** Listeners still subscribed, by stream. */
  listeners(): { runsChanged: number; runEvent: number; link: number };
}

/** An API whose listed methods are `impl`; any other method fails the test when called. */
export function fakeApi(impl: Impl, calls: string[]): StrataApi {
  return new Proxy({} as StrataApi, {
    get: (_t, name: string) => (...args: unknown[]) => {
      calls.push(name);
      const f = impl[name as keyof StrataApi];
      if (!f) throw new Error(`unexpected call ${name}`);
      return name.startsWith('on') ? f(...args) : Promise.resolve().then(() => f(...args));
    },
  });
}

/** Installs a fake lab (browser mode) answering `impl`; onRunsChanged and onRunEvent are provided unless `impl` has them. */
export function fakeLab(impl: Impl): FakeLab {
  const calls: string[] = [];
  const runs = new Set<(e: RunsChanged) => void>();
  const events = new Map<(m: TrainerMessage) => void, string>();
  const links = new Set<(s: ConnectionState) => void>();
  const streams: Impl = {
    onRunsChanged: (_i, fn) => {
      const f = fn as (e: RunsChanged) => void;
      runs.add(f);
      return () => void runs.delete(f);
    },
    onRunEvent: (i, fn) => {
      const f = fn as (m: TrainerMessage) => void;
      events.set(f, (i as { runId: string }).runId);
      return () => void events.delete(f);
    },
  };
  setLab({
    mode: 'browser',
    shell: 'browser',
    pathForFile: null,
    onConnectionChange: (fn) => {
      links.add(fn);
      return () => void links.delete(fn);
    },
    api: fakeApi({ ...streams, ...impl }, calls),
  });
  return {
    calls,
    runsChanged: (e) => [...runs].forEach((f) => f(e)),
    runEvent: (runId, m) => [...events].forEach(([f, id]) => id === runId && f(m)),
    link: (s) => [...links].forEach((f) => f(s)),
    listeners: () => ({ runsChanged: runs.size, runEvent: events.size, link: links.size }),
  };
}

/** Lets every pending promise and timer-free continuation run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
}
