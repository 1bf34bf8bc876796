/**
 * The design file both sides of the peer benchmark read: the U-Net, every node's output shape
 * (so the PyTorch side need not re-infer them), batch, threads and the SGD settings.
 */
import { buildUNet, inferShapes, summarize, UNET_LEVELS } from '../../shared/arch';
import type { Architecture, Shape } from '../../shared/arch/types';
import { parseArchitecture } from '../../shared/arch';

/** What the bench writes to the temp file. */
export interface PeerDesign {
  arch: Architecture;
  shapes: Record<string, Shape>;
  batch: number;
  threads: number;
  lr: number;
  momentum: number;
}

/**
 * The default peer model: 16 channels, 2 resnet blocks at every level, 1-conv samplers, grey input:
 * 1 stem + 7 levels x 2 blocks x 2 convs + 3 strided + 3 transposed + 1 head = 36 convs.
 */
export function peerArchitecture(): Architecture {
  return buildUNet({
    name: 'peer-36conv-16ch',
    channels: 16,
    inputChannels: 1,
    size: 101,
    blocksPerLevel: UNET_LEVELS.map(() => 2),
    samplerConvs: 0,
  });
}

/** The design file for `arch`. */
export function peerDesign(arch: Architecture, batch: number, threads: number): PeerDesign {
  const shapes: Record<string, Shape> = {};
  for (const [id, s] of inferShapes(arch).shapes) shapes[id] = s;
  return { arch, shapes, batch, threads, lr: 0.01, momentum: 0.9 };
}

/**
 * FLOP of one training step, counted as 3 forward passes (forward, input gradient, filter
 * gradient) x 2 FLOP per multiply-add of every conv and transposed conv (summarize's MACs), x batch.
 * BN, ReLU, adds and the loss are not counted.
 */
export function trainingFlops(arch: Architecture, batch: number): { flops: number; convs: number } {
  const s = summarize(arch, { batch });
  if (!s.ok) throw new Error(`design '${arch.name}' is invalid: ${s.errors.map((e) => e.message).join('; ')}`);
  return { flops: 3 * 2 * s.summary.macsPerImage * batch, convs: s.summary.convLayers };
}

function positiveInt(v: unknown, what: string, file: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${file}: ${what} must be a positive integer`);
  return v;
}

/** Parses the design file (a value from JSON.parse). */
export function parsePeerDesign(value: unknown, file: string): PeerDesign {
  if (typeof value !== 'object' || value === null) throw new Error(`${file}: not a JSON object`);
  const v = value as Record<string, unknown>;
  const parsed = parseArchitecture(v['arch']);
  if (!parsed.ok) throw new Error(`${file}: bad architecture: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const num = (k: string) => {
    const n = v[k];
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${file}: ${k} must be a number`);
    return n;
  };
  return {
    ...peerDesign(parsed.arch, positiveInt(v['batch'], 'batch', file), positiveInt(v['threads'], 'threads', file)),
    lr: num('lr'),
    momentum: num('momentum'),
  };
}

/** The bench's synthetic batch (values do not change the timings): NHWC x = sin(0.37 i), y = [sin(0.011 i) > 0.3]. */
export function syntheticBatch(batch: number, h: number, w: number, c: number): { x: Float32Array; y: Float32Array } {
  const x = Float32Array.from({ length: batch * h * w * c }, (_, i) => Math.sin(i * 0.37));
  const y = Float32Array.from({ length: batch * h * w }, (_, i) => (Math.sin(i * 0.011) > 0.3 ? 1 : 0));
  return { x, y };
}
