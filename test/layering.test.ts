/**
 * The layering rule, exercised through ESLint's Node API with the repository's own config: each
 * layer's banned imports are errors of `strata/layering`, and shared/ on disk is clean.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/paths';

const eslint = new ESLint({ cwd: REPO_ROOT });

/** The `strata/layering` messages for `code` linted as if it lived at `file`. */
async function layeringMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'strata/layering').map((m) => m.message);
}

const importOf = (spec: string) => `import * as m from '${spec}';\nexport const x = m;\n`;

describe('strata/layering', () => {
  for (const spec of ['@tensorflow/tfjs-core', 'node:fs', 'fs', 'electron', 'vue']) {
    it(`shared/ may not import ${spec}`, async () => {
      const messages = await layeringMessages('shared/arch/__probe.ts', importOf(spec));
      expect(messages).toEqual([expect.stringContaining(`Layer 'shared' may not import '${spec}'`)]);
    });
  }

  it('shared/ may import zod and relative files', async () => {
    const code = `import { z } from 'zod';\nimport { ARCH_FORMAT } from './types';\nexport const s = z.literal(ARCH_FORMAT);\n`;
    expect(await layeringMessages('shared/arch/__probe.ts', code)).toEqual([]);
  });

  it('catches dynamic imports and re-exports too', async () => {
    const code = `export * from 'node:path';\nexport const p = import('electron');\n`;
    expect(await layeringMessages('shared/arch/__probe.ts', code)).toHaveLength(2);
  });

  for (const spec of ['electron', 'node:path', '@tensorflow/tfjs-core']) {
    it(`src-renderer/ may not import ${spec}`, async () => {
      const messages = await layeringMessages('src-renderer/__probe.ts', importOf(spec));
      expect(messages).toEqual([expect.stringContaining(`Layer 'src-renderer' may not import '${spec}'`)]);
    });
  }

  it('src-main/cli may not import tfjs', async () => {
    const messages = await layeringMessages('src-main/cli/__probe.ts', importOf('@tensorflow/tfjs-core'));
    expect(messages).toEqual([expect.stringContaining("may not import '@tensorflow/tfjs-core'")]);
  });

  for (const spec of ['electron', '../../electron/security']) {
    it(`src-main/lab (its transports included) may not import ${spec}`, async () => {
      const messages = await layeringMessages('src-main/lab/transport/__probe.ts', importOf(spec));
      expect(messages).toEqual([expect.stringContaining(`Layer 'src-main/lab' may not import '${spec}'`)]);
    });
  }

  it('src-main/lab may still not import tfjs, and may import node and ws', async () => {
    expect(await layeringMessages('src-main/lab/__probe.ts', importOf('@tensorflow/tfjs-core'))).toHaveLength(1);
    expect(await layeringMessages('src-main/lab/transport/http/__probe.ts', importOf('ws'))).toEqual([]);
    expect(await layeringMessages('src-main/lab/__probe.ts', importOf('node:fs'))).toEqual([]);
  });

  it('src-main/training may import tfjs', async () => {
    expect(await layeringMessages('src-main/training/__probe.ts', importOf('@tensorflow/tfjs-core'))).toEqual([]);
  });
});

/** Every .ts file under `dir`, recursively. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('shared/ on disk', () => {
  const files = tsFiles(path.join(REPO_ROOT, 'shared'));

  it('has TypeScript files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('imports nothing but zod and relative files', () => {
    const specifier =
      /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s*['"]([^'"]+)['"]/g;
    const offending: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(specifier)) {
        const spec = m[1] ?? m[2] ?? m[3] ?? '';
        if (spec !== 'zod' && !spec.startsWith('./') && !spec.startsWith('../')) {
          offending.push(`${path.relative(REPO_ROOT, file)}: ${spec}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('has no strata/layering errors', async () => {
    const results = await eslint.lintFiles(files);
    const messages = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === 'strata/layering').map((m) => `${r.filePath}:${m.line}: ${m.message}`),
    );
    expect(messages).toEqual([]);
  });
});
