import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePeerDesign, peerArchitecture, peerDesign, trainingFlops } from './peerDesign';

const here = path.dirname(fileURLToPath(import.meta.url));
/** A Python with torch, as the bench looks for one; null where there is none (CI may lack it). */
const torchPython = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) ?? null;

describe('the peer benchmark model', () => {
  it('has 36 convs and 144.8 GFLOP per training step at batch 32', () => {
    const { flops, convs } = trainingFlops(peerArchitecture(), 32);
    expect(convs).toBe(36);
    // Conv MACs per image, by hand (k² · Cin · Cout per output pixel; transposed: per input pixel):
    // stem 10201·9·1·16; e0, d0 4·10201·9·16·16; e1, d1 4·2601·9·32·32; e2, d2 4·676·9·64·64;
    // bottom 4·169·9·128·128; down0/up0 2601·9·16·32; down1/up1 676·9·32·64; down2/up2 169·9·64·128;
    // head 10201·16 = 754,275,232.
    const macs =
      10201 * 9 * 16 + 2 * 4 * 10201 * 9 * 256 + 2 * 4 * 2601 * 9 * 1024 + 2 * 4 * 676 * 9 * 4096 + 4 * 169 * 9 * 16384 +
      2 * 2601 * 9 * 512 + 2 * 676 * 9 * 2048 + 2 * 169 * 9 * 8192 + 10201 * 16;
    expect(macs).toBe(754_275_232);
    expect(flops).toBe(3 * 2 * macs * 32);
    expect(flops / 1e9).toBeCloseTo(144.8, 1);
  });

  it('round-trips through the design file, with every node shape', () => {
    const d = peerDesign(peerArchitecture(), 32, 2);
    const back = parsePeerDesign(JSON.parse(JSON.stringify(d)) as unknown, 'design.json');
    expect(back).toEqual(d);
    expect(d.shapes['up2']).toEqual({ h: 26, w: 26, c: 64 });
    expect(d.shapes['up1']).toEqual({ h: 51, w: 51, c: 32 });
    expect(d.shapes['up0']).toEqual({ h: 101, w: 101, c: 16 });
  });

  it('names the file and the field of a bad design file', () => {
    const d = peerDesign(peerArchitecture(), 32, 2);
    expect(() => parsePeerDesign({ ...d, threads: 0 }, 'x.json')).toThrow('x.json: threads must be a positive integer');
    expect(() => parsePeerDesign({ ...d, arch: {} }, 'x.json')).toThrow(/^x\.json: bad architecture/);
  });
});

describe.runIf(torchPython !== null)('peer_pytorch.py', () => {
  it('builds the same graph (36 convs, every merge and the 13->26->51->101 samplers fit) and trains a step', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-peer-test-'));
    try {
      const file = path.join(dir, 'design.json');
      writeFileSync(file, JSON.stringify(peerDesign(peerArchitecture(), 1, 1)));
      const r = spawnSync(torchPython ?? 'python3', [path.join(here, 'peer_pytorch.py'), file], { input: 'step\nquit\n', encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const [ready, step] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(ready).toMatchObject({ ready: true, convs: 36, threads: 1 });
      const loss = step?.['loss'];
      // Batch IoU loss lies in [0, 1].
      expect(typeof loss === 'number' && loss >= 0 && loss <= 1).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
