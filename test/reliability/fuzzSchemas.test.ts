/**
 * Property-based fuzzing (issue 20 item 9) of the design parser (shared/arch parse, validate,
 * summary) and the API's request schemas (shared/api checkInput, channelOf, the wire codec). Any input
 * parses, or gives the module's typed errors (ArchError codes, a bad-request body, a SyntaxError from
 * malformed wire JSON); nothing else is thrown.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARCH_ERROR_CODES, getPreset, parseArchitecture, parseArchitectureText, serializeArchitecture, summarize, validateArchitecture } from '../../shared/arch';
import type { ArchError, ParseResult } from '../../shared/arch';
import { CHANNEL_NAMES, CHANNELS } from '../../shared/api/channels';
import { decodeWire, encodeWire, MAX_WIRE_DEPTH } from '../../shared/api/wire';
import { channelOf, checkInput } from '../../shared/api/validate';
import { fuzz } from './fuzzRuns';

/** Keys a fuzzed object may have: the schema's own, prototype names, and anything. */
const key = (known: readonly string[]) => fc.oneof(fc.constantFrom(...known, '__proto__', 'constructor', 'toString'), fc.string({ maxLength: 8 }));
/** JSON-like values, edges included (numbers at and past the limits, long strings, nested things). */
const leaf = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1, 0.5, 4096, 4097, 10_000, 10_001, 1e9, -0, 2 ** 53, Number.MAX_VALUE, '', 'in', 'skip', 'add', 'concat', 'he_normal'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 12 }),
);
const value = (known: readonly string[]) =>
  fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(key(known), tie('v'), { maxKeys: 3 })),
  })).v;

const ARCH_KEYS = ['format', 'version', 'name', 'description', 'init', 'nodes', 'edges', 'id', 'kind', 'from', 'to', 'port', 'blocks', 'kernel', 'channels', 'height', 'width', 'filters', 'stride', 'convs', 'bn', 'mode', 'lossWeight', 'hidden', 'position', 'label'];
const tiny = JSON.parse(serializeArchitecture(getPreset('tiny') ?? (undefined as never))) as Record<string, unknown>;

/** One edit to a valid design's JSON: a value set, a key deleted, at a path chosen by indices. */
type Edit = { path: number[]; set: unknown } | { path: number[]; remove: true };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ path: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), set: value(ARCH_KEYS) }),
  fc.record({ path: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), remove: fc.constant(true as const) }),
);

function applyEdit(doc: unknown, e: Edit): unknown {
  const root = structuredClone(doc);
  let cur: unknown = root;
  for (let i = 0; i < e.path.length; i++) {
    if (cur === null || typeof cur !== 'object') return root;
    const keys = Object.keys(cur);
    if (keys.length === 0) return root;
    const k = keys[(e.path[i] ?? 0) % keys.length] ?? '';
    const obj = cur as Record<string, unknown>;
    if (i === e.path.length - 1) {
      if ('remove' in e) delete obj[k];
      else obj[k] = e.set;
    } else cur = obj[k];
  }
  return root;
}

function checkErrors(errors: readonly ArchError[]): void {
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) {
    expect(ARCH_ERROR_CODES).toContain(e.code);
    expect(e.message).toMatch(/\S/);
  }
}

/** Parse, then validate and summarise what parses: each either succeeds or gives ArchErrors. */
function checkDesignPipeline(r: ParseResult): void {
  if (!r.ok) return checkErrors(r.errors);
  const errors = validateArchitecture(r.arch);
  if (errors.length > 0) return checkErrors(errors);
  summarize(r.arch);
  // A valid design survives its own saved form.
  const again = parseArchitectureText(serializeArchitecture(r.arch));
  expect(again.ok && serializeArchitecture(again.arch)).toBe(serializeArchitecture(r.arch));
}

describe('the design parser', () => {
  it('takes any text', async () => {
    const text = fc.oneof(fc.string({ maxLength: 60 }), fc.json({ maxDepth: 3 }), value(ARCH_KEYS).map((v) => JSON.stringify(v)));
    await fuzz('design text', text, (t) => checkDesignPipeline(parseArchitectureText(t)));
  });

  it('takes any edit of a valid design (values set at any depth, fields removed)', async () => {
    await fuzz('design edits', fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
      checkDesignPipeline(parseArchitecture(edits.reduce<unknown>(applyEdit, tiny)));
    }, 0.25);
  });
});

describe('the API schemas', () => {
  const fields = (name: string): string[] => {
    const input = CHANNELS[name as keyof typeof CHANNELS].input;
    return 'shape' in input && typeof input.shape === 'object' && input.shape !== null ? Object.keys(input.shape) : [];
  };
  const request = fc.constantFrom(...CHANNEL_NAMES).chain((name) =>
    fc.tuple(fc.constant(name), fc.oneof(value(fields(name)), fc.dictionary(fc.constantFrom(...fields(name), 'x'), value([...fields(name), ...ARCH_KEYS]), { maxKeys: 4 }))),
  );

  it('checkInput takes any value on any channel: parameters, or a bad-request body naming the channel', async () => {
    await fuzz('API requests', request, ([name, raw]) => {
      const r = checkInput(name, raw);
      if (r.ok) {
        // What passed passes again (the parsed form is a valid request too).
        expect(checkInput(name, r.params).ok).toBe(true);
        return;
      }
      expect(r.error.code).toBe('bad-request');
      expect(r.error.message.startsWith(`${name}: `)).toBe(true);
      expect(r.error.issues?.length).toBeGreaterThan(0);
    });
  });

  it('channelOf and the wire codec take any text', async () => {
    await fuzz('API channel names and wire text', fc.oneof(fc.string({ maxLength: 30 }), fc.json({ maxDepth: 3 })), (text) => {
      const c = channelOf(text);
      if (!c.ok) expect(c.error.code).toBe('not-found');
      try {
        const v = decodeWire(text);
        expect(decodeWire(encodeWire(v))).toEqual(v);
      } catch (error) {
        expect(error).toBeInstanceOf(SyntaxError);
      }
    });
  });

  it('decodes wire text as the JSON.parse reviver it replaced did, $num records at any depth', async () => {
    const reviver = (_k: string, v: unknown) => {
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && '$num' in v) {
        const s = (v as { $num: unknown }).$num;
        if (s === 'NaN' || s === 'Infinity' || s === '-Infinity') return Number(s);
      }
      return v;
    };
    const num = fc.constantFrom({ $num: 'NaN' }, { $num: 'Infinity' }, { $num: '-Infinity' }, { $num: 'nan' }, { $num: 3 }, { $num: 'NaN', x: 1 });
    const doc = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, num, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(key(['$num', '__proto__']), tie('v'), { maxKeys: 3 })),
    })).v;
    await fuzz('wire decode against the reviver', doc, (v) => {
      const text = JSON.stringify(v);
      expect(decodeWire(text)).toEqual(JSON.parse(text, reviver));
    });
  });

  // Regression case of what the fuzzing found (failed before the fix, with RangeError).
  it('refuses nesting past MAX_WIRE_DEPTH with a SyntaxError, not a stack overflow (5,000 brackets overflowed the reviver)', () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(() => decodeWire(nested(5000))).toThrow(new SyntaxError('JSON nested deeper than 512 levels'));
    expect(() => decodeWire(`{"arch":{"nodes":[${nested(1_000_000)}]}}`)).toThrow(SyntaxError);
    expect(JSON.stringify(decodeWire(nested(MAX_WIRE_DEPTH)))).toBe(nested(MAX_WIRE_DEPTH));
  });
});

