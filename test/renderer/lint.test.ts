/** The layering rule reaches into .vue files, and workflows stay free of Vue. */
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';

const eslint = new ESLint({ cwd: REPO_ROOT });

async function layering(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'strata/layering').map((m) => m.message);
}

const sfc = (spec: string) => `<script setup lang="ts">\nimport * as m from '${spec}';\nconsole.log(m);\n</script>\n\n<template>\n  <div></div>\n</template>\n`;

describe('layering in the renderer', () => {
  for (const spec of ['node:fs', 'electron', '@tensorflow/tfjs-core', '../../src-main/lab/service']) {
    it(`a .vue file may not import ${spec}`, async () => {
      expect(await layering('src-renderer/views/__probe.vue', sfc(spec))).toEqual([expect.stringContaining(`may not import '${spec}'`)]);
    });
  }

  it('a .vue file may import vue, pinia and shared/', async () => {
    expect(await layering('src-renderer/views/__probe.vue', sfc('vue'))).toEqual([]);
    expect(await layering('src-renderer/views/__probe.vue', sfc('../../shared/api/types'))).toEqual([]);
  });

  it('workflows may not import Vue or Pinia, and keep the renderer bans', async () => {
    const code = (spec: string) => `import * as m from '${spec}';\nexport const x = m;\n`;
    for (const spec of ['vue', 'pinia', 'node:path']) {
      expect(await layering('src-renderer/workflows/__probe.ts', code(spec))).toEqual([expect.stringContaining(`may not import '${spec}'`)]);
    }
    expect(await layering('src-renderer/workflows/__probe.ts', code('../../shared/api/types'))).toEqual([]);
  });
});
