/**
 * Browser mode answers only to its own address (issue 20 item 8): the page and its static files, the
 * API and the event WebSocket all refuse another Host, as a page on a rebinding DNS name would send.
 * A real lab server on 127.0.0.1 and raw HTTP requests (fetch would set the Host itself).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upgrade } from '../helpers/wsUpgrade';
import { serveLab, type ServedLab } from '../lab/helpers';

let lab: ServedLab;
beforeAll(async () => {
  lab = await serveLab('host-checks');
});
afterAll(async () => {
  await lab.close();
});

function get(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: lab.server.port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** How an upgrade with the lab's token and Host `host` ends: opened, or refused with a status. */
const upgradeAs = (host: string) => upgrade(`ws://127.0.0.1:${lab.server.port}/api/ws?token=${lab.server.token}`, { Host: host });

describe('Host checks', () => {
  it('serves the page and its files to the lab\'s own host names only', async () => {
    const port = lab.server.port;
    for (const own of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      expect((await get('/', own)).body, own).toContain('strata test ui');
      expect((await get('/assets/app.js', own)).status, own).toBe(200);
    }
    for (const foreign of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `attacker.localhost:${port}`]) {
      for (const p of ['/', '/assets/app.js', '/runs/123']) {
        const r = await get(p, foreign);
        expect(r.status, `${foreign} ${p}`).toBe(403);
        expect(r.body, `${foreign} ${p}`).not.toContain('strata');
      }
    }
  });

  it('refuses a WebSocket upgrade with the right token but another Host', async () => {
    const port = lab.server.port;
    expect(await upgradeAs(`evil.example:${port}`)).toBe(403);
    expect(await upgradeAs(`127.0.0.1:${port + 1}`)).toBe(403);
    expect(await upgradeAs(`127.0.0.1:${port}`)).toBe('open');
    expect(await upgradeAs(`localhost:${port}`)).toBe('open');
  });
});
