/**
 * The property panel's fields for each node kind, and how a typed value becomes a patch. Whether
 * the value is allowed is decided by the shared edit rules (`applyArchChange`), which refuse a bad
 * value with its reason; here a value is only read from the input it was typed into.
 */
import { LIMITS } from '../../shared/arch/limits';
import type { ArchNode, Architecture } from '../../shared/arch/types';
import { INITIALIZERS, MERGE_MODES, SAMPLER_BN } from '../../shared/arch/types';

/** One field of the panel. */
export type FieldSpec =
  | { key: string; label: string; type: 'int'; value: number | null; min: number; max: number; optional: boolean; hint?: string }
  /** A real number in [min, max] as the input offers it; the edit rules decide (a loss weight must be above 0). */
  | { key: string; label: string; type: 'number'; value: number; min: number; max: number; step: number; hint?: string }
  | { key: string; label: string; type: 'select'; value: string; options: { value: string; label: string }[]; hint?: string }
  | { key: string; label: string; type: 'bool'; value: boolean; hint?: string }
  | { key: string; label: string; type: 'text'; value: string; hint?: string };

/** The value meaning "not set" in selects of optional fields. */
export const UNSET = '';

function int(key: string, label: string, value: number | undefined, range: { min: number; max: number }, optional = false, hint?: string): FieldSpec {
  const f: FieldSpec = { key, label, type: 'int', value: value ?? null, min: range.min, max: range.max, optional };
  if (hint !== undefined) f.hint = hint;
  return f;
}

function initField(node: { init?: string }, arch: Architecture): FieldSpec {
  return {
    key: 'init',
    label: 'Initializer',
    type: 'select',
    value: node.init ?? UNSET,
    options: [{ value: UNSET, label: `design default (${arch.init})` }, ...INITIALIZERS.map((i) => ({ value: i, label: i }))],
  };
}

const BN_LABELS: Readonly<Record<string, string>> = { none: 'none', after: 'after the sampler', strided: 'right after the strided conv' };

function bnField(value: string): FieldSpec {
  return { key: 'bn', label: 'BN position', type: 'select', value, options: SAMPLER_BN.map((b) => ({ value: b, label: BN_LABELS[b] ?? b })) };
}

/** The parameter fields of `node` (id and label are edited apart). */
export function nodeFields(node: ArchNode, arch: Architecture): FieldSpec[] {
  switch (node.kind) {
    case 'input':
      return [int('channels', 'Channels', node.channels, LIMITS.channels), int('height', 'Height', node.height, LIMITS.size), int('width', 'Width', node.width, LIMITS.size)];
    case 'conv':
      return [int('kernel', 'Kernel', node.kernel, LIMITS.kernel), int('filters', 'Filters', node.filters, LIMITS.filters), int('stride', 'Stride', node.stride, LIMITS.stride), initField(node, arch)];
    case 'resnet':
      return [
        int('blocks', 'Blocks', node.blocks, LIMITS.blocks),
        int('kernel', 'Kernel', node.kernel, LIMITS.kernel),
        { key: 'bnAfterBlock', label: 'BN after every block', type: 'bool', value: node.bnAfterBlock === true },
        initField(node, arch),
      ];
    case 'down':
      return [
        int('convs', 'Convs before the strided one (m)', node.convs, LIMITS.convs),
        int('kernel', 'Kernel', node.kernel, LIMITS.kernel),
        int('filters', 'Filters', node.filters, LIMITS.filters, true, 'empty: twice the input channels'),
        bnField(node.bn),
        initField(node, arch),
      ];
    case 'up': {
      const downs = arch.nodes.filter((n) => n.kind === 'down').map((n) => ({ value: n.id, label: n.id }));
      return [
        int('convs', 'Convs after the transposed one (m)', node.convs, LIMITS.convs),
        int('kernel', 'Transposed kernel', node.kernel, LIMITS.kernel),
        int('convKernel', 'Conv kernel', node.convKernel, LIMITS.kernel, true, 'empty: 3'),
        int('filters', 'Filters', node.filters, LIMITS.filters, true, 'empty: half the input channels'),
        bnField(node.bn),
        {
          key: 'match',
          label: 'Mirrors downsampler',
          type: 'select',
          value: node.match ?? UNSET,
          options: [{ value: UNSET, label: 'none (resolution doubles)' }, ...downs],
          hint: 'its output takes that downsampler\'s input resolution',
        },
        initField(node, arch),
      ];
    }
    case 'bn':
      return [];
    case 'merge':
      return [
        { key: 'mode', label: 'Merge mode', type: 'select', value: node.mode, options: MERGE_MODES.map((m) => ({ value: m, label: m === 'add' ? 'add (equal shapes)' : 'concat + 1x1 projection' })) },
        initField(node, arch),
      ];
    case 'head':
      return [initField(node, arch)];
    case 'saltHead':
      return [
        {
          key: 'lossWeight',
          label: 'Loss weight',
          type: 'number',
          value: node.lossWeight,
          min: LIMITS.lossWeight.min,
          max: LIMITS.lossWeight.max,
          step: 0.05,
          hint: `times its cross-entropy, added to the mask loss; above ${LIMITS.lossWeight.min}`,
        },
        int('hidden', 'Hidden units', node.hidden, LIMITS.hidden, true, 'empty: the pool feeds the output unit directly'),
        initField(node, arch),
      ];
  }
}

/**
 * The patch value of what was typed into field `f`: numbers as typed (fractions and out-of-range
 * values are passed on, for the edit rules to refuse with their reason), null to clear an optional
 * field. Text that is not a number at all is an error here.
 */
export function fieldPatchValue(f: FieldSpec, raw: string | boolean): { ok: true; value: unknown } | { ok: false; message: string } {
  switch (f.type) {
    case 'bool':
      return { ok: true, value: raw === true ? true : null };
    case 'select':
      return { ok: true, value: raw === UNSET ? null : raw };
    case 'text':
      return { ok: true, value: typeof raw === 'string' && raw.trim() !== '' ? raw : null };
    case 'number':
    case 'int': {
      const text = typeof raw === 'string' ? raw.trim() : '';
      if (text === '') return f.type === 'int' && f.optional ? { ok: true, value: null } : { ok: false, message: `${f.label}: a value is required` };
      const n = Number(text);
      if (!Number.isFinite(n)) return { ok: false, message: `${f.label}: "${text}" is not a number` };
      return { ok: true, value: n };
    }
  }
}
