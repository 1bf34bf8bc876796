/**
 * The Designer in real Chromium against `npm run lab`: dragging a stack from the palette and wiring
 * it, a mismatched skip marked on the canvas and fixed, the Figure 2 preset's 272 conv layers, the
 * Keras export, the initialisation analysis chart, and saving and importing designs.
 */
import { describe, expect, it } from 'vitest';
import { convLayers, dropFromPalette, node, setUpDesigner, wire } from './designerPage';
import { saveScreenshot } from './harness';

const openDesigner = setUpDesigner();

describe('the designer in Chromium', () => {
  it('drags a resnet stack from the palette, wires it in, and the summary follows; undo takes it out', async () => {
    const { page, errors, httpErrors } = await openDesigner();
    const before = await convLayers(page);
    await dropFromPalette(page, 'resnet', 0.3, 0.85);
    await node(page, 'stack1').waitFor();
    expect(await node(page, 'stack1').locator('[data-testid="block-count"]').textContent()).toBe('x2');
    // Unconnected, the design is invalid: the problems list says so, and there are no numbers.
    await expect.poll(() => page.locator('[data-testid="design-problems"]').textContent()).toContain('node "stack1": nothing is connected');
    expect(await page.locator('[data-testid="train"]').isDisabled()).toBe(true);

    await wire(page, 'e0', 'stack1');
    await wire(page, 'stack1', 'down0');
    // Two more blocks of two convs each.
    await expect.poll(() => convLayers(page)).toBe(before + 4);
    expect(await page.locator('[data-testid="train"]').isDisabled()).toBe(false);
    // The new edge carries e0's tensor.
    expect(await page.locator('.vue-flow__edge[data-id="e0->stack1:in"]').textContent()).toContain('101x101x4');
    await saveScreenshot(page, 'designer-drag-stack');

    // Undo the two connections and the drop; redo one step.
    for (let i = 0; i < 3; i++) await page.locator('[data-testid="undo"]').click();
    await expect.poll(() => node(page, 'stack1').count()).toBe(0);
    await page.locator('[data-testid="redo"]').click();
    await expect.poll(() => node(page, 'stack1').count()).toBe(1);
    expect(errors).toEqual([]);
    expect(httpErrors).toEqual([]);
  });

  it('marks a skip with mismatched shapes on the canvas, lists it, and the fix clears it', async () => {
    const { page, errors } = await openDesigner();
    await wire(page, 'e1', 'merge0', 'skip');
    const bad = page.locator('.vue-flow__edge[data-id="e1->merge0:skip"]');
    await expect.poll(() => bad.textContent()).toContain('51x51x8 vs 101x101x4');
    expect(await bad.getAttribute('class')).toContain('edge-bad');
    expect(await page.locator('[data-testid="design-problems"]').textContent()).toContain('skip e1->merge0: 51x51x8 vs 101x101x4');
    expect(await page.locator('[data-testid="design-summary"]').textContent()).toContain('once the design is valid');
    await saveScreenshot(page, 'designer-skip-mismatch');

    await wire(page, 'e0', 'merge0', 'skip');
    await expect.poll(() => page.locator('[data-testid="problem-count"]').count()).toBe(0);
    expect(await page.locator('.edge-bad').count()).toBe(0);
    // A refused value names its reason and changes nothing.
    await node(page, 'e0').click();
    const blocks = page.locator('[data-testid="property-panel"] input[data-field="blocks"]');
    await blocks.fill('0');
    await blocks.press('Enter');
    await expect.poll(() => page.locator('[data-testid="refusal"]').textContent()).toBe('node "e0" (blocks): must be at least 1, got 0');
    expect(await blocks.inputValue()).toBe('1');
    await saveScreenshot(page, 'designer-skip-fixed');
    expect(errors).toEqual([]);
  });

  it('loads the Figure 2 preset: 272 conv layers, x18 stacks that expand and collapse', async () => {
    const { page, errors } = await openDesigner('fig2');
    await expect.poll(() => convLayers(page)).toBe(272);
    expect(await node(page, 'bottom').locator('[data-testid="block-count"]').textContent()).toBe('x18');
    await page.locator('[data-testid="expand-bottom"]').click();
    expect(await page.locator('[data-testid="blocks-bottom"] li').count()).toBe(18);
    await saveScreenshot(page, 'designer-fig2');
    await page.locator('[data-testid="expand-bottom"]').click();
    expect(await page.locator('[data-testid="blocks-bottom"]').count()).toBe(0);
    expect(await page.locator('[data-testid="design-summary"] tr[data-level="bottom"]').textContent()).toContain('13x13x128');
    // "Train this design" opens the training setup with Figure 2 filled in.
    await page.getByRole('button', { name: 'Train this design' }).click();
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/training?preset=fig2');
    await expect.poll(() => page.locator('#ts-design').inputValue()).toBe('preset:fig2');
    await saveScreenshot(page, 'designer-train-this-design');
    expect(errors).toEqual([]);
  });

  it('exports the Keras script of Figure 2', async () => {
    const { page, errors } = await openDesigner('fig2');
    await page.locator('[data-testid="export-keras"]').click();
    const text = (await page.locator('[data-testid="export-text"]').textContent()) ?? '';
    expect(text).toContain('def resnet_stack(x, blocks, kernel, init, name, bn_after_block=False):');
    expect(text).toContain('x_e0 = resnet_stack(x_stem, 18, 3, "glorot_uniform", "e0")');
    expect(text).toContain('output_padding=1, kernel_initializer="glorot_uniform", name="up2_transposed")(x_bottom)  # 13x13 -> 26x26');
    expect(text).toContain('# 51x51 -> 101x101');
    expect(text).toContain('return keras.Model(x_input, x_head, name="fig2")');
    const download = page.waitForEvent('download');
    await page.locator('[data-testid="download"]').click();
    expect((await download).suggestedFilename()).toBe('fig2.py');
    await saveScreenshot(page, 'designer-keras-export');
    expect(errors).toEqual([]);
  });

  it('draws the initialisation analysis of Figure 2 with the sub-kernel splits', async () => {
    const { page, errors } = await openDesigner('fig2');
    await page.locator('[data-testid="tab-analysis"]').click();
    const chart = page.locator('[data-testid="analysis-chart"] canvas');
    await chart.first().waitFor();
    const size = await chart.first().boundingBox();
    expect(size?.width).toBeGreaterThan(300);
    // A 3x3 kernel at stride 2 splits into 4, 2, 2 and 1 taps: uneven.
    expect(await page.locator('tr[data-layer="up0/transposed"]').textContent()).toContain('4, 2, 2, 1');
    expect(await page.locator('[data-testid="checkerboard-warning"]').textContent()).toContain('expect checkerboard artefacts');
    // The chart is drawn: its canvas holds more than one colour.
    const colours = await chart.first().evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d');
      if (!ctx) return 0;
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4 * 97) seen.add(((d[i] ?? 0) << 16) | ((d[i + 1] ?? 0) << 8) | (d[i + 2] ?? 0));
      return seen.size;
    });
    expect(colours).toBeGreaterThan(3);
    await page.locator('[data-config="bn:blocks"]').check();
    await saveScreenshot(page, 'designer-init-analysis');
    // The real initialised model's upsamplers, fed a constant, an impulse and noise (in a trainer process).
    await page.locator('[data-testid="measure-upsamplers"]').click();
    const figures = page.locator('[data-testid="upsampler-responses"] figure');
    await expect.poll(() => figures.count(), { timeout: 90_000 }).toBe(9);
    expect(await page.locator('figure[data-node="up0"][data-input="constant"] figcaption').textContent()).toMatch(/score (0\.[5-9]|1\.0)/);
    await page.locator('[data-testid="upsampler-responses"]').scrollIntoViewIfNeeded();
    await saveScreenshot(page, 'designer-upsampler-responses');
    expect(errors).toEqual([]);
  });

  it('saves and duplicates a design in the lab, and refuses a bad file with a clear error', async () => {
    const { page, errors } = await openDesigner('small');
    await page.locator('[data-testid="save"]').click();
    await expect.poll(() => page.locator('[data-testid="saved-designs"] li').count()).toBe(1);
    await page.locator('[data-testid="duplicate"]').click();
    await expect.poll(() => page.locator('[data-testid="saved-designs"] li').count()).toBe(2);
    expect(await page.locator('[data-testid="design-name"]').inputValue()).toBe('small copy');
    await page.locator('[data-testid="import-file"]').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"strata-arch","version":9}') });
    await expect.poll(() => page.locator('[data-testid="designer-notice"]').textContent()).toContain('broken.json is not a Strata design');
    expect(await page.locator('[data-testid="designer-notice"]').textContent()).toContain('schema version 9 is not supported');
    await saveScreenshot(page, 'designer-save-import');
    expect(errors).toEqual([]);
  });
});
