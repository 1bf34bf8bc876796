/**
 * `strata export` as users run it, and every refusal: a run without the checkpoint asked for, an
 * unknown format, an output that exists (without and with --force, and what --force may not
 * replace), and a design that cannot be one ONNX file. Refusals leave nothing behind.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { defaultRunConfig } from '../../shared/training/config';
import { ExportRefusedError, exportRun, trainedArch } from '../../src-main/export/exportRun';
import type { RunStore } from '../../src-main/runs/store';
import { selectBackend } from '../../src-main/training/backend';
import { UNetModel } from '../../src-main/training/model';
import { cliSandbox, json } from '../helpers/cli';
import { TGS_NORM } from './exportHelpers';

const { tmp, strata, withStore } = cliSandbox('export-cli');

function createRun(s: RunStore, arch: Architecture): string {
  return s.createRun({
    name: arch.name,
    arch,
    config: { ...defaultRunConfig(), backend: 'wasm' },
    dataset: { name: 'demo', source: { kind: 'demo', seed: 1, count: 4 }, fingerprint: 'f', synthetic: true, count: 4 },
    split: { train: ['a', 'b'], val: ['c'] },
    versions: { strata: 'test', tfjs: '4.22.0', node: process.versions.node },
  }).id;
}

/** Two convs of 4096 15x15 filters: 15 GiB of weights, which no ONNX file can hold. */
const HUGE: Architecture = {
  format: 'strata-arch',
  version: 1,
  name: 'huge',
  init: 'he_normal',
  nodes: [
    { id: 'in', kind: 'input', channels: 1, height: 16, width: 16 },
    { id: 'wide', kind: 'conv', kernel: 15, filters: 4096, stride: 1 },
    { id: 'wider', kind: 'conv', kernel: 15, filters: 4096, stride: 1 },
    { id: 'head', kind: 'head' },
  ],
  edges: [
    { from: 'in', to: 'wide' },
    { from: 'wide', to: 'wider' },
    { from: 'wider', to: 'head' },
  ],
};

let trained = '';
let untrained = '';
let huge = '';

beforeAll(async () => {
  await selectBackend({ force: 'wasm' });
  const tiny = getPreset('tiny');
  if (!tiny) throw new Error('no tiny preset');
  [trained, untrained, huge] = withStore((s) => [createRun(s, tiny), createRun(s, tiny), createRun(s, HUGE)]);
  const arch = withStore((s) => trainedArch(s.get(trained)));
  const model = new UNetModel(arch, 5);
  const tensors = await model.getWeights();
  model.dispose();
  withStore((s) => s.saveCheckpoint(trained, 'best', { epoch: 2, step: 30, tensors, extra: { norm: TGS_NORM } }));
});

/** exportRun on the sandbox's store, in this process. */
const exportIn = (req: Parameters<typeof exportRun>[1]) => withStore((s) => exportRun(s, req));

describe('strata export', () => {
  it('writes the best checkpoint as ONNX, refuses to overwrite it, and replaces it with --force', () => {
    const out = path.join(tmp, 'model.onnx');
    const r = strata('export', '--run', trained, '--format', 'onnx', '--out', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = json(r) as { out: string; epoch: number; checkpoint: string; bytes: number; replaced: boolean; metadata: Record<string, string> };
    expect(j).toMatchObject({ out, epoch: 2, checkpoint: 'best', replaced: false });
    expect(j.bytes).toBe(readFileSync(out).length);
    expect(j.metadata.input_mean).toBe(String(TGS_NORM.mean * 255));
    // No post-processing stored and no epoch metrics: the customary 0.5, as strata predict would apply.
    expect(j.metadata.threshold).toBe('0.5');
    const again = strata('export', '--run', trained, '--format', 'onnx', '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`strata: ${out} already exists; pass --force to replace it\n`);
    const forced = strata('export', '--run', trained, '--format', 'onnx', '--out', out, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^wrote .*model\.onnx: ONNX model, .*epoch 3.*\(replaced what was there\)\n$/);
    // Nothing but the file: no temporary file left beside it.
    expect(readdirSync(tmp).filter((f) => f.includes('model.onnx'))).toEqual(['model.onnx']);
  });

  it('lists the formats when given an unknown one, or none', () => {
    const r = strata('export', '--run', trained, '--format', 'pytorch', '--out', path.join(tmp, 'k'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("strata: --format: 'pytorch' is not one of onnx, tfjs, keras\n");
    expect(existsSync(path.join(tmp, 'k'))).toBe(false);
    const none = strata('export', '--run', trained, '--out', path.join(tmp, 'k'));
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('strata: export: --format is required: one of onnx, tfjs, keras\n');
  });

  it('names the run that has no checkpoint, and the checkpoints it has', async () => {
    await expect(exportIn({ runId: untrained, format: 'onnx', out: path.join(tmp, 'none.onnx') })).rejects.toThrow(
      new ExportRefusedError(`run ${untrained} has no best checkpoint (0 epochs done; it has no checkpoint at all), so there is nothing to export`),
    );
    await expect(exportIn({ runId: trained, format: 'tfjs', checkpoint: 'before-jump', out: path.join(tmp, 'bj') })).rejects.toThrow(
      `run ${trained} has no before-jump checkpoint (kept only when training detected a loss jump) (0 epochs done; it has: best), so there is nothing to export`,
    );
    expect(existsSync(path.join(tmp, 'none.onnx')) || existsSync(path.join(tmp, 'bj'))).toBe(false);
  });

  it('refuses a design too big for one ONNX file, naming the node, before reading any checkpoint', async () => {
    await expect(exportIn({ runId: huge, format: 'onnx', out: path.join(tmp, 'huge.onnx') })).rejects.toThrow(
      /^run \S+ cannot be exported as ONNX: node 'wider': its weights \(wider\/conv\/kernel, 15x15x4096x4096\) take the model's weights past 1\.98 GiB, more than one ONNX file holds .*14\.\d\d GiB in all.*external-data/,
    );
    // tfjs has no such limit: there the run is refused for what it lacks.
    await expect(exportIn({ runId: huge, format: 'tfjs', out: path.join(tmp, 'huge') })).rejects.toThrow(/has no best checkpoint/);
  });

  it('writes a tfjs folder whole, and --force replaces only an earlier tfjs export', async () => {
    const out = path.join(tmp, 'tfjs-model');
    const first = await exportIn({ runId: trained, format: 'tfjs', out });
    expect(first.files).toEqual(['model.json', 'group1-shard1of1.bin']);
    expect(readdirSync(out).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    await expect(exportIn({ runId: trained, format: 'tfjs', out })).rejects.toThrow(`${out} already exists; pass --force to replace it`);
    const again = await exportIn({ runId: trained, format: 'tfjs', out, force: true });
    expect(again.replaced).toBe(true);
    expect(readdirSync(tmp).filter((f) => f.includes('tfjs-model'))).toEqual(['tfjs-model']);

    // A folder with anything else in it is not Strata's to delete, --force or not.
    const other = path.join(tmp, 'photos');
    mkdirSync(other);
    writeFileSync(path.join(other, 'model.json'), '{}');
    writeFileSync(path.join(other, 'holiday.jpg'), 'x');
    await expect(exportIn({ runId: trained, format: 'tfjs', out: other, force: true })).rejects.toThrow(/is not a folder of an earlier tfjs export/);
    expect(readdirSync(other).sort()).toEqual(['holiday.jpg', 'model.json']);
    // Nor does --force put an ONNX file over a folder.
    await expect(exportIn({ runId: trained, format: 'onnx', out, force: true })).rejects.toThrow(/is not a file/);
  });

  it('names a folder that does not exist', async () => {
    const out = path.join(tmp, 'no', 'such', 'model.onnx');
    await expect(exportIn({ runId: trained, format: 'onnx', out })).rejects.toThrow(`${path.dirname(out)} does not exist: make the folder first`);
  });
});
