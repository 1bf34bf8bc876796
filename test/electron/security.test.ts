import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  DEFAULT_BOUNDS,
  isAllowedExternal,
  isAllowedNavigation,
  parseWindowBounds,
  windowOptions,
} from '../../src-main/electron/security';

const APP = 'file:///opt/Strata/resources/app.asar/dist/renderer/index.html';

describe('Electron window settings', () => {
  it('isolates and sandboxes the page, with no Node and no webviews', () => {
    const o = windowOptions(DEFAULT_BOUNDS, '/x/preload.cjs', false);
    expect(o.webPreferences).toMatchObject({
      preload: '/x/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    });
    expect(o.show).toBe(false);
  });

  it('places the window where it was, when given a place', () => {
    expect(windowOptions({ x: 10, y: 20, width: 1000, height: 700 }, 'p', true)).toMatchObject({ x: 10, y: 20, width: 1000, height: 700 });
    expect(windowOptions({ width: 1000, height: 700 }, 'p', true)).not.toHaveProperty('x');
  });

  it('has a strict content security policy', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('allows navigation only to the app page itself', () => {
    expect(isAllowedNavigation(`${APP}#/runs`, APP)).toBe(true);
    expect(isAllowedNavigation('https://example.com/', APP)).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd', APP)).toBe(false);
    expect(isAllowedNavigation('not a url', APP)).toBe(false);
  });

  it('opens only allow-listed https links externally', () => {
    expect(isAllowedExternal('https://github.com/tensorflow/tfjs')).toBe(true);
    expect(isAllowedExternal('http://github.com/')).toBe(false);
    expect(isAllowedExternal('https://github.com.evil.example/')).toBe(false);
    expect(isAllowedExternal('https://user:pw@github.com/')).toBe(false);
    expect(isAllowedExternal('file:///bin/sh')).toBe(false);
    expect(isAllowedExternal('javascript:alert(1)')).toBe(false);
  });
});

describe('remembered window place', () => {
  const screens = [{ x: 0, y: 0, width: 1920, height: 1080 }];

  it('restores a valid place on a present screen', () => {
    expect(parseWindowBounds({ x: 100, y: 50, width: 1200, height: 800, maximized: true }, screens)).toEqual({ x: 100, y: 50, width: 1200, height: 800, maximized: true });
  });

  it('keeps the size but not the place when the place is off every screen', () => {
    expect(parseWindowBounds({ x: 5000, y: 50, width: 1200, height: 800 }, screens)).toEqual({ width: 1200, height: 800, maximized: false });
  });

  it('falls back to the default for malformed state', () => {
    for (const bad of [null, 'x', { width: 'a', height: 3 }, { width: 10, height: 10 }, { width: NaN, height: 800 }]) {
      expect(parseWindowBounds(bad, screens)).toEqual(DEFAULT_BOUNDS);
    }
  });
});
