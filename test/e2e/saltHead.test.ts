/**
 * The salt-present head in the Designer, in real Chromium against `npm run lab`: dragged from the
 * palette, wired to the wrong level and then to the bottom one, its loss weight edited through the
 * property panel (a refused 0, an accepted 0.3), and its Keras export.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { convLayers, dropFromPalette, handle, node, setUpDesigner, wire } from './designerPage';
import { saveScreenshot } from './harness';

const openDesigner = setUpDesigner();
const problems = (page: Page) => page.locator('[data-testid="design-problems"]').textContent();

describe('the salt head in the designer, in Chromium', () => {
  it('drags it in, refuses the wrong level, wires it to the bottom, edits its weight and exports it', async () => {
    const { page, errors, httpErrors } = await openDesigner();
    const before = await convLayers(page);
    await dropFromPalette(page, 'saltHead', 0.55, 0.8);
    await node(page, 'salt1').waitFor();
    expect(await node(page, 'salt1').textContent()).toContain('Salt present');
    // An output: it has an input port and none to leave from.
    expect(await handle(page, 'salt1', 'in').count()).toBe(1);
    expect(await handle(page, 'salt1', 'out').count()).toBe(0);
    await expect.poll(() => problems(page)).toContain('node "salt1": nothing is connected');

    // Wired to an encoder level above the bottom: named on the edge and in the list.
    await wire(page, 'e1', 'salt1');
    await expect.poll(() => problems(page)).toContain('salt head "salt1" must read the bottom level (13x13), but its input "e1" is 51x51');
    expect(await page.locator('.vue-flow__edge[data-id="e1->salt1:in"]').getAttribute('class')).toContain('edge-bad');
    expect(await page.locator('[data-testid="train"]').isDisabled()).toBe(true);
    await saveScreenshot(page, 'designer-salt-head-wrong-level');

    // Rewired to the bottom stack: valid, no conv added, the 1x1x1 output on its card.
    await wire(page, 'bottom', 'salt1');
    await expect.poll(() => page.locator('[data-testid="problem-count"]').count()).toBe(0);
    expect(await convLayers(page)).toBe(before);
    expect(await page.locator('.vue-flow__edge[data-id="bottom->salt1:in"]').textContent()).toContain('13x13x32');
    expect(await node(page, 'salt1').textContent()).toContain('1x1x1');
    expect(await page.locator('[data-testid="train"]').isDisabled()).toBe(false);

    // Its loss weight: 0 is refused with the reason and put back; 0.3 is taken.
    await node(page, 'salt1').click();
    const weight = page.locator('[data-testid="property-panel"] input[data-field="lossWeight"]');
    expect(await weight.inputValue()).toBe('0.1');
    await weight.fill('0');
    await weight.press('Enter');
    await expect.poll(() => page.locator('[data-testid="refusal"]').textContent()).toBe('node "salt1" (lossWeight): must be above 0, got 0');
    expect(await weight.inputValue()).toBe('0.1');
    await weight.fill('0.3');
    await weight.press('Enter');
    await expect.poll(() => node(page, 'salt1').textContent()).toContain('loss x0.3');
    await saveScreenshot(page, 'designer-salt-head');

    await page.locator('[data-testid="export-keras"]').click();
    const text = (await page.locator('[data-testid="export-text"]').textContent()) ?? '';
    expect(text).toContain('x_salt1 = layers.GlobalAveragePooling2D(name="salt1_pool")(x_bottom)');
    expect(text).toContain('return keras.Model(x_input, [x_head, x_salt1], name="tiny")');
    expect(errors).toEqual([]);
    expect(httpErrors).toEqual([]);
  });
});
