import { summarize, type ArchSummary } from '../../../shared/arch';
import { CliError, numberArg, parseCommandArgs, printJson, requiredArg } from '../args';
import { loadArch } from '../loadArch';

const OPTIONS = { arch: { type: 'string' }, batch: { type: 'string' }, json: { type: 'boolean' } } as const;

/**
 * The stable `--json` shape of `strata summary` (documented in the README). Fields are only ever
 * added, never renamed or removed.
 */
export function summaryJson(s: ArchSummary) {
  return {
    name: s.name,
    convLayers: s.convLayers,
    layers: s.layers,
    params: s.params,
    trainableParams: s.trainableParams,
    macsPerImage: s.macsPerImage,
    batch: s.batch,
    activationBytes: s.activationBytes,
    trainingMemoryBytes: s.trainingMemoryBytes,
    input: s.inputShape,
    output: s.outputShape,
    levels: s.levels.map((l) => ({
      name: l.name,
      nodeId: l.nodeId,
      side: l.side,
      resolution: [l.height, l.width],
      channels: l.channels,
      blocks: l.blocks,
      convLayers: l.convLayers,
      params: l.params,
      macsPerImage: l.macsPerImage,
    })),
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');
const giga = (n: number) => `${(n / 1e9).toFixed(2)} G`;
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** `strata summary`: the size and cost of a design. */
export async function summaryCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseCommandArgs('summary', argv, OPTIONS);
  if (positionals.length) throw new CliError(`summary: unexpected argument '${positionals[0]}'`);
  const arch = await loadArch(requiredArg('summary', 'arch', v.arch));
  const batch = numberArg('batch', v.batch, 32, { integer: true, min: 1, max: 4096 });
  const r = summarize(arch, { batch });
  if (!r.ok) throw new CliError(`${arch.name}: the design is invalid:\n  ${r.errors.map((e) => e.message).join('\n  ')}`);
  const s = r.summary;
  if (v.json) {
    printJson(summaryJson(s));
    return 0;
  }
  const rows = s.levels.map(
    (l) =>
      `  ${l.name.padEnd(7)} ${`${l.height}x${l.width}`.padStart(8)} ${String(l.channels).padStart(5)} ch ${String(l.blocks).padStart(5)} blocks ${String(l.convLayers).padStart(5)} convs ${fmt(l.params).padStart(12)} params ${giga(l.macsPerImage).padStart(10)}MAC`,
  );
  process.stdout.write(
    [
      `${s.name}: input ${s.inputShape.h}x${s.inputShape.w}x${s.inputShape.c}`,
      `  convolution layers  ${s.convLayers}`,
      `  layers              ${s.layers}`,
      `  parameters          ${fmt(s.params)} (${fmt(s.trainableParams)} trainable)`,
      `  multiply-adds/image ${giga(s.macsPerImage)}`,
      `  training memory     ${mib(s.trainingMemoryBytes)} at batch ${s.batch}`,
      'levels:',
      ...rows,
      '',
    ].join('\n'),
  );
  return 0;
}
