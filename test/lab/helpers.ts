/** A lab on scratch folders for the lab tests: the service, optionally served over HTTP, removed afterwards. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { encode } from 'fast-png';
import { WebSocket } from 'ws';
import { createApiClient, type HttpTransport, type WebSocketLike } from '../../shared/api/client';
import { createHandlers } from '../../src-main/lab/handlers';
import { LabService, type LabOptions } from '../../src-main/lab/service';
import { startLabServer, type LabServer } from '../../src-main/lab/transport/http/server';

const made: string[] = [];
afterAll(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh empty folder under the system temp folder, removed when the test file is done. */
export function scratchDir(tag: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `strata-lab-${tag}-`));
  made.push(d);
  return d;
}

/** Opens a lab service on `home` (data in it, runs in `home/runs`). */
export function openLab(home: string, opts: LabOptions = {}): LabService {
  return LabService.open({ dataDir: home, runsDir: path.join(home, 'runs') }, opts);
}

/** A lab service served over HTTP on 127.0.0.1, port chosen by the system. */
export interface ServedLab {
  home: string;
  staticDir: string;
  lab: LabService;
  server: LabServer;
  close(): Promise<void>;
}

/** Starts a served lab on a scratch home with a static folder holding `index.html`. */
export async function serveLab(tag: string, opts: { maxBodyBytes?: number } = {}): Promise<ServedLab> {
  const home = scratchDir(tag);
  const staticDir = path.join(home, 'ui');
  fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>strata test ui</title>\n');
  fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log("strata");\n');
  const lab = openLab(home, { shutdownGraceMs: 2000 });
  const server = await startLabServer({ handlers: createHandlers(lab), port: 0, staticDir, ...opts });
  return {
    home,
    staticDir,
    lab,
    server,
    close: async () => {
      await server.close();
      await lab.close();
    },
  };
}

/** An 8-bit grey PNG. */
export function greyPng(width: number, height: number, pixels: ArrayLike<number>): Uint8Array {
  return encode({ width, height, data: Uint8Array.from(pixels), depth: 8, channels: 1 });
}

/** Polls `probe` every 100 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The browser transport's client, bound to node's fetch, the `ws` WebSocket and node's timers. */
export function nodeClient(server: LabServer, token = server.token): HttpTransport {
  return createApiClient({
    origin: server.origin,
    token,
    fetch: (url, init) => fetch(url, init),
    // ws's WebSocket has the browser's members; its handler types name its own event classes.
    openSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
    reconnectMs: 100,
  });
}
