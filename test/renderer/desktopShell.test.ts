/** The desktop shell's pure pieces: menu commands, folder drops, proposed file names, the page token. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../shared/api/csp';
import { MENU_VIEWS, type MenuCommand } from '../../shared/api/types';
import { pageToken } from '../../src-renderer/api/httpTransport';
import { fileStem, folderDrop, isFileDrag, menuAction, submissionFileName } from '../../src-renderer/workflows/desktopShell';
import { VIEWS } from '../../src-renderer/workflows/routes';
import { REPO_ROOT } from '../helpers/paths';

describe('menu commands', () => {
  it('opens each view of the View menu, with nothing else to do', () => {
    expect(MENU_VIEWS).toEqual(VIEWS);
    for (const view of MENU_VIEWS) expect(menuAction({ command: 'show-view', view })).toEqual({ view, task: null });
  });

  it('sends File menu commands to the view that carries them out, with its task', () => {
    expect(menuAction({ command: 'import-dataset' })).toEqual({ view: 'data', task: 'pick-import-folder' });
    expect(menuAction({ command: 'open-design' })).toEqual({ view: 'designer', task: 'open-design-file' });
    expect(menuAction({ command: 'save-design' })).toEqual({ view: 'designer', task: 'save-design-file' });
    expect(menuAction({ command: 'export-submission' })).toEqual({ view: 'masks', task: 'save-submission' });
  });

  it('ignores commands and views it does not know (a newer main process)', () => {
    expect(menuAction({ command: 'print' } as unknown as MenuCommand)).toBeNull();
    expect(menuAction({ command: 'show-view', view: 'settings' } as unknown as MenuCommand)).toBeNull();
  });
});

describe('folder drops on the Data view', () => {
  it('takes the one dropped item with a path in the desktop app', () => {
    expect(folderDrop({ shell: 'desktop', names: ['train'], path: '/data/tgs/train' })).toEqual({ kind: 'path', path: '/data/tgs/train' });
  });

  it('explains in browser mode that dropping works in the desktop app and the path is typed', () => {
    for (const names of [['train'], ['a', 'b'], []]) {
      const r = folderDrop({ shell: 'browser', names, path: null });
      expect(r).toMatchObject({ kind: 'refused', tone: 'info' });
      expect(r.kind === 'refused' && r.message).toMatch(/works in the desktop app.*type \(or paste\) the folder’s absolute path/s);
    }
  });

  it('asks for one folder at a time, naming what was dropped', () => {
    const two = folderDrop({ shell: 'desktop', names: ['train', 'test'], path: null });
    expect(two).toEqual({ kind: 'refused', tone: 'error', message: 'Drop one folder at a time: 2 items were dropped (train, test).' });
    const five = folderDrop({ shell: 'desktop', names: ['a', 'b', 'c', 'd', 'e'], path: null });
    expect(five.kind === 'refused' && five.message).toBe('Drop one folder at a time: 5 items were dropped (a, b, c, and 2 more).');
  });

  it('refuses an item without a path on disk, and an empty drop', () => {
    const r = folderDrop({ shell: 'desktop', names: ['image.png'], path: '' });
    expect(r.kind === 'refused' && r.message).toMatch(/^image\.png has no path on this computer/);
    expect(folderDrop({ shell: 'desktop', names: [], path: null })).toMatchObject({ kind: 'refused', tone: 'error', message: expect.stringMatching(/drop the dataset’s folder/) });
  });

  it('tells file drags from other drags', () => {
    expect(isFileDrag(['Files'])).toBe(true);
    expect(isFileDrag(['text/plain', 'Files'])).toBe(true);
    expect(isFileDrag(['text/plain'])).toBe(false);
    expect(isFileDrag(undefined)).toBe(false);
  });
});

describe('names the save dialogs propose', () => {
  it('is <run>-submission.csv, with no folder separators', () => {
    expect(submissionFileName('run')).toBe('run-submission.csv');
    expect(submissionFileName('Fig 2 / seed 3')).toBe('fig-2-seed-3-submission.csv');
    expect(submissionFileName('../..')).toBe('run-submission.csv');
    expect(fileStem('', 'design')).toBe('design');
  });
});

describe('the page token', () => {
  const href = 'http://127.0.0.1:5173/?token=abc%2B1&x=2#/runs/r1';

  it('takes the token from the address and gives the address without it, keeping the hash route', () => {
    expect(pageToken(href, null)).toEqual({ token: 'abc+1', cleanAddress: '/?x=2#/runs/r1' });
    expect(pageToken('http://127.0.0.1:5173/?token=t#/data', 'old')).toEqual({ token: 't', cleanAddress: '/#/data' });
  });

  it('after a reload (no token in the address) uses the kept one, and leaves the address alone', () => {
    expect(pageToken('http://127.0.0.1:5173/#/data', 'kept')).toEqual({ token: 'kept', cleanAddress: null });
    expect(pageToken('http://127.0.0.1:5173/#/data', null)).toEqual({ token: null, cleanAddress: null });
    expect(pageToken('http://127.0.0.1:5173/#/data', '')).toEqual({ token: null, cleanAddress: null });
  });
});

describe('the page source', () => {
  it('carries the shared Content-Security-Policy in its <meta> tag', () => {
    const html = fs.readFileSync(path.join(REPO_ROOT, 'src-renderer/index.html'), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
    expect(meta?.[1], 'src-renderer/index.html has no CSP <meta> tag').toBe(CONTENT_SECURITY_POLICY);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
