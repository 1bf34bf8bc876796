/** The Designer view as e2e tests drive it: its nodes, ports and summary, wiring with the mouse, and opening it on a preset. */
import type { Browser, Page } from 'playwright-core';
import { openApp, setUpLabAndBrowser, type AppPage, type RunningLab } from './harness';

/** The canvas card of node `id`. */
export const node = (page: Page, id: string) => page.locator(`.vue-flow__node[data-id="${id}"]`);
/** Port `handleId` ('in', 'skip', 'out') of node `id`. */
export const handle = (page: Page, id: string, handleId: string) => page.locator(`.vue-flow__handle[data-nodeid="${id}"][data-handleid="${handleId}"]`);
/** The summary's conv layer count. */
export const convLayers = async (page: Page) => Number(await page.locator('[data-testid="conv-layers"]').textContent());

/** Drags from one node's output port to another's `port`, with the mouse, as a user wires an edge. */
export async function wire(page: Page, from: string, to: string, port: 'in' | 'skip' = 'in'): Promise<void> {
  const a = await handle(page, from, 'out').boundingBox();
  const b = await handle(page, to, port).boundingBox();
  if (!a || !b) throw new Error(`no port box for ${from} -> ${to}:${port}`);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** Drags palette item `kind` onto the canvas, dropping it at fractions `x`, `y` of the canvas's width and height. */
export async function dropFromPalette(page: Page, kind: string, x: number, y: number): Promise<void> {
  const canvas = page.locator('[data-testid="designer-canvas"]');
  const box = await canvas.boundingBox();
  if (!box) throw new Error('no canvas');
  await page.locator(`[data-palette="${kind}"]`).dragTo(canvas, { targetPosition: { x: box.width * x, y: box.height * y } });
}

/** Opens the Designer on `preset`, once its head is drawn, laid out afresh. */
export async function openDesigner(browser: Browser, lab: RunningLab, preset = 'tiny'): Promise<AppPage> {
  const app = await openApp(browser, lab, { hash: '#/designer' });
  await app.page.locator(`[data-preset="${preset}"]`).click();
  await node(app.page, 'head').waitFor();
  await app.page.locator('[data-testid="relayout"]').click();
  return app;
}

/**
 * The set-up of a Designer e2e file (setUpLabAndBrowser's hooks); returns how its tests open the
 * Designer on a preset (tiny unless told).
 */
export function setUpDesigner(): (preset?: string) => Promise<AppPage> {
  let lab: RunningLab;
  let browser: Browser;
  setUpLabAndBrowser((l, b) => {
    lab = l;
    browser = b;
  });
  return (preset = 'tiny') => openDesigner(browser, lab, preset);
}
