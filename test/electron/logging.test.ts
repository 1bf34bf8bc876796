/** The desktop app's log files (electron-log's Node build, folder passed in): written, and rotated with several archives. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveName, openLogs, rotateLogFile } from '../../src-main/electron/logging';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'strata-logs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the app logs', () => {
  it('writes main.log and trainer.log in the folder given, creating it', () => {
    const dir = path.join(tmp, 'a', 'logs');
    const logs = openLogs(dir);
    logs.main.info('Strata starting', { electron: '40.10.6' });
    logs.main.error('start-up failed:', new Error('the run store cannot open'));
    logs.trainerLine('FATAL ERROR: Reached heap limit', 'stderr', 4242);
    expect(logs.mainFile).toBe(path.join(dir, 'main.log'));
    const main = readFileSync(logs.mainFile, 'utf8');
    expect(main).toMatch(/\[info\]\s+Strata starting \{ electron: '40\.10\.6' \}/);
    expect(main).toMatch(/\[error\]\s+start-up failed: Error: the run store cannot open/);
    expect(readFileSync(logs.trainerFile, 'utf8')).toMatch(/\[info\]\s+\[4242 stderr\] FATAL ERROR: Reached heap limit\n$/);
  });

  it('rotates at the size limit, keeping the newest lines in main.log and `keep` archives, oldest last', () => {
    const dir = path.join(tmp, 'rot');
    const logs = openLogs(dir, { maxBytes: 1000, keep: 3 });
    for (let i = 0; i < 200; i++) logs.main.info(`line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}`);
    expect(readdirSync(dir).filter((f) => f.startsWith('main')).sort()).toEqual(['main.1.log', 'main.2.log', 'main.3.log', 'main.log']);
    const firstLine = (f: string) => Number(/line (\d+)/.exec(readFileSync(path.join(dir, f), 'utf8'))?.[1]);
    expect(readFileSync(logs.mainFile, 'utf8')).toContain('line 0199');
    // Each archive is older than the one before it.
    expect(firstLine('main.3.log')).toBeLessThan(firstLine('main.2.log'));
    expect(firstLine('main.2.log')).toBeLessThan(firstLine('main.1.log'));
    expect(firstLine('main.1.log')).toBeLessThan(firstLine('main.log'));
    for (const f of readdirSync(dir)) expect(readFileSync(path.join(dir, f)).length).toBeLessThan(1200);
  });

  it('rotateLogFile shifts the archives and drops the oldest', () => {
    const file = path.join(tmp, 'shift', 'x.log');
    mkdirSync(path.dirname(file));
    writeFileSync(file, 'now');
    writeFileSync(archiveName(file, 1), 'one');
    writeFileSync(archiveName(file, 2), 'two');
    rotateLogFile(file, 2);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(archiveName(file, 1), 'utf8')).toBe('now');
    expect(readFileSync(archiveName(file, 2), 'utf8')).toBe('one');
    expect(existsSync(archiveName(file, 3))).toBe(false);
  });
});
