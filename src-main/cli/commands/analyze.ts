import { analyzeInit } from '../../../shared/analysis/initAnalysis';
import type { FanRule, InitAnalysis, ReluMoment } from '../../../shared/analysis/initAnalysis';
import { stridedKernels } from '../../../shared/analysis/checkerboard';
import { designCost } from '../../../shared/analysis/cost';
import type { SummandEntry } from '../../../shared/analysis/summands';
import { BN_PLACEMENTS, INITIALIZERS, bnPlacementOf, summarize, withBnPlacement, withInitializer } from '../../../shared/arch';
import type { Architecture, BnPlacement, Initializer } from '../../../shared/arch/types';
import { renderInputs } from '../../data/batches';
import { computeNormStats } from '../../data/normalize';
import { measureInitialised } from '../../training/analysis/empirical';
import type { EmpiricalReport } from '../../training/analysis/empirical';
import { CliError, choiceArg, numberArg, parseCommandArgs, printJson, requiredArg } from '../args';
import { loadArch } from '../loadArch';
import { loadDataset } from './train';

const OPTIONS = {
  arch: { type: 'string' },
  init: { type: 'string' },
  bn: { type: 'string' },
  'input-channels': { type: 'string' },
  empirical: { type: 'boolean' },
  data: { type: 'string' },
  images: { type: 'string' },
  seed: { type: 'string' },
  fan: { type: 'string' },
  relu: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The `{index, level, std, stdAtOrigin}` rows of the `--json` output (plus where each summand comes from). */
function rows(s: readonly SummandEntry[]) {
  return s.map((e) => ({
    index: e.index,
    level: e.level,
    std: e.std,
    stdAtOrigin: e.stdAtOrigin,
    nodeId: e.nodeId,
    ...(e.block === undefined ? {} : { block: e.block }),
    ...(e.stdRange ? { stdRange: e.stdRange } : {}),
  }));
}

/** The design as analysed: placement, initializer and input channels applied. */
function prepare(arch: Architecture, init: Initializer, bn: BnPlacement, channels: number | undefined): Architecture {
  let a = withInitializer(withBnPlacement(arch, bn), init);
  if (channels !== undefined) {
    a = { ...a, nodes: a.nodes.map((n) => (n.kind === 'input' ? { ...n, channels } : n)) };
  }
  return a;
}

function analytical(arch: Architecture, opts: { convention: 'keras' | 'note'; fan: FanRule; relu: ReluMoment }): InitAnalysis {
  const r = analyzeInit(arch, opts);
  if (!r.ok) throw new CliError(`${arch.name}: the design is invalid:\n  ${r.errors.map((e) => e.message).join('\n  ')}`);
  return r.analysis;
}

async function empirical(arch: Architecture, dir: string, images: number, seed: number): Promise<EmpiricalReport> {
  const ds = await loadDataset({ kind: 'folder', path: dir });
  const input = arch.nodes.find((n) => n.kind === 'input');
  if (!input || input.kind !== 'input') throw new CliError(`${arch.name}: has no input node`);
  if (input.height !== ds.height || input.width !== ds.width) {
    throw new CliError(`${arch.name} takes ${input.height}x${input.width} images, but ${dir} has ${ds.height}x${ds.width}`);
  }
  if (input.channels !== 1 && input.channels !== 3) throw new CliError(`--input-channels: images can be fed as 1 or 3 channels, not ${input.channels}`);
  const all = ds.ids.map((_, i) => i);
  const norm = computeNormStats(ds, all);
  // The first images by id: a fixed, reproducible batch.
  const picked = all.sort((a, b) => ((ds.ids[a] as string) < (ds.ids[b] as string) ? -1 : 1)).slice(0, images);
  const x = renderInputs(ds, picked, input.channels, norm);
  process.stderr.write(`measuring ${arch.name} on ${picked.length} images of ${dir}\n`);
  return measureInitialised(arch, x, [picked.length, ds.height, ds.width, input.channels], seed);
}

const f3 = (v: number) => v.toFixed(3).padStart(8);

/** `strata analyze`: the summand magnitudes of a design at initialisation, analytical and measured. */
export async function analyzeCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('analyze', argv, OPTIONS);
  if (positionals.length) throw new CliError(`strata analyze: unexpected argument '${positionals[0]}'`);
  const base = await loadArch(requiredArg('analyze', 'arch', v.arch));
  const init = choiceArg('init', v.init, base.init, INITIALIZERS);
  const current = bnPlacementOf(base);
  const bn = choiceArg('bn', v.bn, current === 'custom' ? 'samplers' : current, BN_PLACEMENTS);
  const channels = v['input-channels'] === undefined ? undefined : numberArg('input-channels', v['input-channels'], 1, { integer: true, min: 1, max: 64 });
  const fan = choiceArg<FanRule>('fan', v.fan, 'note', ['note', 'taps']);
  const relu = choiceArg<ReluMoment>('relu', v.relu, 'second-moment', ['second-moment', 'centred']);
  const images = numberArg('images', v.images, 8, { integer: true, min: 2, max: 256 });
  const seed = numberArg('seed', v.seed, 1, { integer: true, min: 0, max: 2 ** 31 - 1 });
  if (v.empirical && !v.data) throw new CliError('strata analyze: --empirical needs --data DIR (a TGS-layout folder)');
  const arch = prepare(base, init, bn, channels);
  const summary = summarize(arch);
  if (!summary.ok) throw new CliError(`${arch.name}: the design is invalid:\n  ${summary.errors.map((e) => e.message).join('\n  ')}`);

  const model = analytical(arch, { convention: 'keras', fan, relu });
  const isHe = init.startsWith('he_');
  const note = isHe ? analytical(arch, { convention: 'note', fan, relu }) : null;
  const measured = v.empirical && v.data ? await empirical(arch, v.data, images, seed) : null;
  const kernels = stridedKernels(arch);

  const out = {
    design: arch.name,
    init,
    bn,
    inputChannels: summary.summary.inputShape.c,
    rules: { fan, relu },
    variance: {
      model: 'keras',
      explanation: 'The model draws He weights with Keras\'s variance 2/fan_in; the note computes He with 2/n_next. Glorot is 2/(fan_in + fan_out) in both.',
    },
    analytical: rows(model.summands),
    ...(note ? { analyticalNote: rows(note.summands) } : {}),
    stages: model.stages,
    convs: model.convs,
    checkerboard: {
      kernels,
      ...(measured ? { upsamplers: measured.upsamplers, predictions: measured.predictions } : {}),
    },
    cost: designCost(summary.summary),
    ...(measured
      ? {
          empirical: rows(measured.summands.summands),
          empiricalStages: measured.summands.stages,
          empiricalCheck: { images: measured.summands.images, backend: measured.backend, seed, modelMismatch: measured.summands.modelMismatch, residual: measured.summands.residual },
        }
      : {}),
  };
  if (v.json) {
    printJson(out);
    return 0;
  }
  const lines = [
    `${arch.name}: ${init}, BN ${bn}, ${out.inputChannels} input channel(s); rules: fan ${fan}, relu ${relu}`,
    `  the model uses Keras's variances (He: 2/fan_in)${note ? "; 'note' column: the note's He variance 2/n_next" : ''}`,
    `  ${'s_i'.padEnd(5)} ${'level'.padEnd(8)} ${'origin'.padStart(8)} ${'at head'.padStart(8)}${note ? `${'note@o'.padStart(8)} ${'note@h'.padStart(8)}` : ''}${measured ? `${'meas@o'.padStart(8)} ${'meas@h'.padStart(8)}` : ''}`,
  ];
  model.summands.forEach((s, i) => {
    const n = note?.summands[i];
    const m = measured?.summands.summands[i];
    lines.push(
      `  ${`s${s.index}`.padEnd(5)} ${s.level.padEnd(8)} ${f3(s.stdAtOrigin)} ${f3(s.std)}${n ? `${f3(n.stdAtOrigin)} ${f3(n.std)}` : ''}${m ? `${f3(m.stdAtOrigin)} ${f3(m.std)}` : ''}`,
    );
  });
  lines.push('strided kernels:');
  for (const k of kernels) lines.push(`  ${k.layer}: sub-kernels ${k.split.distinct.join(', ')} (ratio ${k.split.ratio.toFixed(2)})${k.warning ? '  WARNING: not divisible by the stride' : ''}`);
  if (measured) {
    lines.push('checkerboard score (period-2 amplitude over the whole map: ~0 smooth, 1 pure) and shape ratio (Nyquist share of the fine detail):');
    for (const u of measured.upsamplers) lines.push(`  ${u.nodeId} ${u.input.padEnd(7)} score ${u.score.toFixed(3)}  shape ${u.shapeRatio.toFixed(3)}`);
    lines.push(`  predictions score ${measured.predictions.score.toFixed(3)}  shape ${measured.predictions.shapeRatio.toFixed(3)}`);
    lines.push(`measured on ${measured.summands.images} images (${measured.backend}); model mismatch ${measured.summands.modelMismatch.toExponential(1)}, residual ${measured.summands.residual.toExponential(1)}`);
  }
  lines.push(`cost: ${out.cost.convLayers} conv layers, ${(out.cost.macsPerImage / 1e9).toFixed(2)} GMAC/image, note's rule channels^2 x depth = ${out.cost.noteRule}`, '');
  process.stdout.write(lines.join('\n'));
  return 0;
}
