import { describe, expect, it } from 'vitest';
import {
  ARCH_ERROR_CODES,
  getPreset,
  parseArchitecture,
  parseArchitectureText,
  serializeArchitecture,
  validateArchitecture,
} from '../../shared/arch';
import type { ArchError, ArchErrorCode, Architecture } from '../../shared/arch';
import { chainEdges, design, miniUNet, node } from './fixtures';

const covered = new Set<ArchErrorCode>();

/** The errors with `code`; records that the code has a test. */
function only(errors: ArchError[], code: ArchErrorCode): ArchError[] {
  covered.add(code);
  return errors.filter((e) => e.code === code);
}

function rawPreset(name = 'tiny'): Record<string, unknown> & { nodes: Record<string, unknown>[]; edges: Record<string, unknown>[] } {
  return JSON.parse(serializeArchitecture(getPreset(name)!));
}

function parseErrors(json: unknown): ArchError[] {
  const r = parseArchitecture(json);
  return r.ok ? [] : r.errors;
}

function fig2(): Architecture {
  return getPreset('fig2')!;
}

describe('parse errors', () => {
  it('bad-json carries the JSON parser message', () => {
    const text = '{"format": "strata-arch", ';
    let native = '';
    try {
      JSON.parse(text);
    } catch (e) {
      native = (e as Error).message;
    }
    const r = parseArchitectureText(text);
    const errs = only(r.ok ? [] : r.errors, 'bad-json');
    expect(errs).toHaveLength(1);
    expect(errs[0]?.message).toBe(`not valid JSON: ${native}`);
  });

  it('format: another kind of file', () => {
    const errs = only(parseErrors({ ...rawPreset(), format: 'keras-model' }), 'format');
    expect(errs[0]?.message).toBe('not a Strata architecture: "format" is "keras-model", expected "strata-arch"');
  });

  it('version: a future schema', () => {
    const errs = only(parseErrors({ ...rawPreset(), version: 7 }), 'version');
    expect(errs).toHaveLength(1);
    expect(errs[0]?.message).toBe('schema version 7 is not supported; this Strata reads version 1');
    const { version: _v, ...unversioned } = rawPreset();
    expect(only(parseErrors(unversioned), 'version').map((e) => e.message)).toEqual([
      'the file has no schema version; this Strata reads version 1',
    ]);
  });

  it('unknown-kind names the node and the kind', () => {
    const raw = rawPreset();
    raw.nodes[2] = { id: 'p1', kind: 'maxpool', size: 2 };
    const errs = only(parseErrors(raw), 'unknown-kind');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ nodeId: 'p1', path: 'nodes[2].kind' });
    expect(errs[0]?.message).toMatch(/^node "p1" \(nodes\[2\]\): unknown kind "maxpool"; known kinds: input, conv/);
  });

  it('schema: missing, mistyped and unknown fields, with JSON paths', () => {
    const raw = rawPreset();
    delete raw.nodes[2]!.kernel;
    raw.nodes[3]!.bn = 'sometimes';
    raw.nodes[4]!.blok = 3;
    raw.edges[0]!.from = 12;
    delete raw.name;
    const errs = only(parseErrors(raw), 'schema');
    expect(errs.map((e) => [e.path, e.message])).toEqual([
      ['name', 'name: required field is missing'],
    ]);
    raw.name = 'back';
    const errs2 = only(parseErrors(raw), 'schema');
    expect(errs2.map((e) => [e.path, e.message])).toEqual([
      ['nodes[2].kernel', 'node "e0" (nodes[2].kernel): required field is missing'],
      ['nodes[3].bn', 'node "down0" (nodes[3].bn): must be one of "none", "after", "strided", got "sometimes"'],
      ['nodes[4].blok', 'node "e1" (nodes[4].blok): unknown field "blok"'],
      ['edges[0].from', 'edges[0].from: expected a string, got 12'],
    ]);
  });

  it('bad-param: absurd sizes name the node, the path and the limit', () => {
    const raw = rawPreset();
    raw.nodes[0]!.channels = 65;
    raw.nodes[0]!.height = 0;
    raw.nodes[1]!.kernel = 16;
    raw.nodes[1]!.stride = 5;
    raw.nodes[1]!.filters = 4097;
    raw.nodes[2]!.blocks = 10_001;
    raw.nodes[3]!.convs = 17;
    raw.nodes[4]!.kernel = 2.5;
    const errs = only(parseErrors(raw), 'bad-param');
    expect(errs.map((e) => e.message)).toEqual([
      'node "input" (nodes[0].channels): must be at most 64, got 65',
      'node "input" (nodes[0].height): must be at least 1, got 0',
      'node "stem" (nodes[1].kernel): must be at most 15, got 16',
      'node "stem" (nodes[1].filters): must be at most 4096, got 4097',
      'node "stem" (nodes[1].stride): must be at most 4, got 5',
      'node "e0" (nodes[2].blocks): must be at most 10000, got 10001',
      'node "down0" (nodes[3].convs): must be at most 16, got 17',
      'node "e1" (nodes[4].kernel): must be a whole number, got 2.5',
    ]);
  });

  it('duplicate-id (parser and validator)', () => {
    const raw = rawPreset();
    raw.nodes[4]!.id = 'e0';
    const errs = only(parseErrors(raw), 'duplicate-id');
    expect(errs.map((e) => e.message)).toEqual(['nodes[4]: id "e0" is already used by nodes[2]']);
    const arch = getPreset('tiny')!;
    arch.nodes[4]!.id = 'e0';
    const v = only(validateArchitecture(arch), 'duplicate-id');
    expect(v.map((e) => e.message)).toEqual(['node id "e0" is used by 2 nodes']);
  });

  it('dangling-edge (parser and validator)', () => {
    const raw = rawPreset();
    raw.edges.push({ from: 'e0', to: 'ghost' });
    const errs = only(parseErrors(raw), 'dangling-edge');
    expect(errs.map((e) => e.message)).toEqual([`edges[${raw.edges.length - 1}] (e0->ghost): "ghost" is not a node`]);
    const arch = getPreset('tiny')!;
    arch.edges.push({ from: 'nowhere', to: 'head' });
    const v = only(validateArchitecture(arch), 'dangling-edge');
    expect(v).toEqual([
      { code: 'dangling-edge', message: 'edge nowhere->head: "nowhere" is not a node', edge: { from: 'nowhere', to: 'head' } },
    ]);
  });

  it('reports every parse problem at once, never throwing', () => {
    for (const junk of [null, 3, 'x', [], {}, { format: 'strata-arch' }, { format: 'strata-arch', version: 1, nodes: 'no' }]) {
      const r = parseArchitecture(junk);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
    }
  });
});

describe('validator errors', () => {
  it('cycle names the nodes on it', () => {
    const arch = design(
      [
        { id: 'i', kind: 'input', channels: 1, height: 8, width: 8 },
        { id: 'm', kind: 'merge', mode: 'add' },
        { id: 'a', kind: 'resnet', blocks: 1, kernel: 3 },
        { id: 'b', kind: 'bn' },
        { id: 'h', kind: 'head' },
      ],
      [...chainEdges('i', 'm', 'a', 'b', 'h'), { from: 'b', to: 'm', port: 'skip' }],
    );
    const errs = only(validateArchitecture(arch), 'cycle');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ message: 'cycle: m -> a -> b -> m', nodeId: 'm' });
  });

  it('missing-input and missing-head', () => {
    const arch = design([{ id: 'c', kind: 'conv', kernel: 3, filters: 4, stride: 1 }], []);
    const errs = validateArchitecture(arch);
    expect(only(errs, 'missing-input').map((e) => e.message)).toEqual(['the design has no input node']);
    expect(only(errs, 'missing-head').map((e) => e.message)).toEqual(['the design has no head node']);
  });

  it('multiple-inputs and multiple-heads', () => {
    const arch = miniUNet();
    arch.nodes.push({ id: 'in2', kind: 'input', channels: 1, height: 8, width: 8 }, { id: 'out2', kind: 'head' });
    arch.edges.push({ from: 'in2', to: 'out2' });
    const errs = validateArchitecture(arch);
    expect(only(errs, 'multiple-inputs').map((e) => e.message)).toEqual(['the design has 2 input nodes (in, in2); it needs one']);
    expect(only(errs, 'multiple-heads').map((e) => e.message)).toEqual(['the design has 2 head nodes (out, out2); it needs one']);
  });

  it('unreachable: a node off the path, in both directions', () => {
    const arch = miniUNet();
    arch.nodes.push({ id: 'stray', kind: 'bn' }, { id: 'dead', kind: 'bn' });
    arch.edges.push({ from: 'stray', to: 'dead' });
    const errs = only(validateArchitecture(arch), 'unreachable');
    expect(errs.map((e) => e.message)).toEqual([
      'node "stray" cannot be reached from the input',
      'node "stray" does not lead to the head',
      'node "dead" cannot be reached from the input',
      'node "dead" does not lead to the head',
    ]);
  });

  it('port: skip into a non-merge, unfed ports, doubled inputs, edges into the input and out of the head', () => {
    const arch = miniUNet();
    arch.edges = arch.edges.filter((e) => e.port !== 'skip');
    arch.edges.push({ from: 'stem', to: 'res', port: 'skip' }, { from: 'in', to: 'dn' }, { from: 'out', to: 'in' });
    const errs = only(validateArchitecture(arch), 'port');
    expect(errs.map((e) => e.message)).toEqual([
      'edge stem->res: only merges have a "skip" port, and "res" is a resnet',
      'input "in" cannot have incoming edges, but out feeds it',
      'node "dn": 2 edges enter its "in" port (res, in); it takes one',
      'merge "mg": nothing is connected to its "skip" port',
      'head "out" cannot feed other nodes, but it feeds in',
    ]);
    const unfed = miniUNet();
    unfed.edges = unfed.edges.filter((e) => e.to !== 'dn');
    expect(only(validateArchitecture(unfed), 'port').map((e) => e.message)).toEqual([
      'node "dn": nothing is connected to its "in" port',
    ]);
  });

  it('resolution-mismatch: a skip from the wrong level', () => {
    const arch = fig2();
    const skip = arch.edges.find((e) => e.to === 'merge1' && e.port === 'skip');
    if (!skip) throw new Error('no skip edge');
    skip.from = 'e2';
    const errs = only(validateArchitecture(arch), 'resolution-mismatch');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({
      message: 'skip e2->merge1: 26x26x64 vs 51x51x32',
      nodeId: 'merge1',
      edge: { from: 'e2', to: 'merge1', port: 'skip' },
    });
  });

  it('channel-mismatch: an add merge with unequal channels; halving odd channels', () => {
    const arch = miniUNet();
    node(arch, 'upx', 'up').filters = 3;
    const errs = only(validateArchitecture(arch), 'channel-mismatch');
    expect(errs.map((e) => e.message)).toEqual(['skip res->mg: 8x8x2 vs 8x8x3']);
    // Concat merges accept any channels.
    const concat = miniUNet('concat');
    node(concat, 'upx', 'up').filters = 3;
    expect(validateArchitecture(concat)).toEqual([]);
    const odd = miniUNet();
    node(odd, 'dn', 'down').filters = 5;
    expect(only(validateArchitecture(odd), 'channel-mismatch').map((e) => e.message)).toEqual([
      'upx: cannot halve 5 channels (input 4x4x5); set "filters"',
    ]);
  });

  it('too-small: striding past one pixel', () => {
    const arch = design(
      [
        { id: 'i', kind: 'input', channels: 1, height: 3, width: 8 },
        { id: 'c', kind: 'conv', kernel: 3, filters: 4, stride: 4 },
        { id: 'h', kind: 'head' },
      ],
      chainEdges('i', 'c', 'h'),
    );
    const errs = only(validateArchitecture(arch), 'too-small');
    expect(errs).toEqual([
      { code: 'too-small', nodeId: 'c', message: 'c: cannot apply stride 4 to 3x8x1: the resolution would drop below 1 pixel' },
    ]);
  });

  it('bad-param on a design built in code', () => {
    const arch = miniUNet();
    node(arch, 'stem', 'conv').stride = 0;
    const errs = only(validateArchitecture(arch), 'bad-param');
    expect(errs).toEqual([
      { code: 'bad-param', nodeId: 'stem', path: 'nodes[1].stride', message: 'node "stem" (nodes[1].stride): must be at least 1, got 0' },
    ]);
    // The absurd stride does not cascade into shape errors downstream.
    expect(validateArchitecture(arch)).toHaveLength(1);
  });

  it('unknown-kind on a design built in code', () => {
    const arch = miniUNet();
    (arch.nodes[2] as { kind: string }).kind = 'pool';
    const errs = only(validateArchitecture(arch), 'unknown-kind');
    expect(errs.map((e) => e.message)).toEqual(['node "res" has unknown kind "pool"']);
  });

  it('bad-match: mirroring the wrong downsampler, or a node that is not one', () => {
    const arch = fig2();
    node(arch, 'up2', 'up').match = 'down1';
    expect(only(validateArchitecture(arch), 'bad-match').map((e) => e.message)).toEqual([
      'up2: matches "down1", whose input 51x51 does not halve to this upsampler\'s input 13x13',
    ]);
    const notDown = fig2();
    node(notDown, 'up2', 'up').match = 'e2';
    expect(only(validateArchitecture(notDown), 'bad-match').map((e) => e.message)).toEqual([
      'up2: "match" must name a downsampler, but "e2" is a resnet node',
    ]);
    const downstream = design(
      [
        { id: 'i', kind: 'input', channels: 4, height: 8, width: 8 },
        { id: 'u', kind: 'up', convs: 0, kernel: 3, bn: 'none', match: 'dn' },
        { id: 'dn', kind: 'down', convs: 0, kernel: 3, bn: 'none' },
        { id: 'h', kind: 'head' },
      ],
      chainEdges('i', 'u', 'dn', 'h'),
    );
    expect(only(validateArchitecture(downstream), 'bad-match').map((e) => e.message)).toEqual([
      'u: matches "dn", which is not upstream of it',
    ]);
  });

  it('one error per problem: a design with three independent faults gets exactly three', () => {
    const arch = fig2();
    node(arch, 'e1', 'resnet').kernel = 99;
    node(arch, 'up1', 'up').match = 'ghost';
    arch.edges.push({ from: 'head', to: 'x' });
    expect(validateArchitecture(arch).map((e) => e.code)).toEqual(['bad-param', 'dangling-edge', 'bad-match']);
  });

  describe('the salt head', () => {
    /** miniUNet (8x8 in, bottom level 4x4 at "dn") with a salt head reading `from`. */
    function withSalt(from: string, extra: Partial<{ lossWeight: number; hidden: number }> = {}): Architecture {
      const arch = miniUNet();
      arch.nodes.push({ id: 'salt', kind: 'saltHead', lossWeight: 0.1, ...extra });
      arch.edges.push({ from, to: 'salt' });
      return arch;
    }

    it('reading the bottom level is valid: it leads to no head, and needs not', () => {
      expect(validateArchitecture(withSalt('dn'))).toEqual([]);
      expect(validateArchitecture(withSalt('dn', { hidden: 8 }))).toEqual([]);
    });

    it('multiple-salt-heads: at most one', () => {
      const arch = withSalt('dn');
      arch.nodes.push({ id: 'salt2', kind: 'saltHead', lossWeight: 0.2 });
      arch.edges.push({ from: 'dn', to: 'salt2' });
      const errs = only(validateArchitecture(arch), 'multiple-salt-heads');
      expect(errs).toEqual([
        { code: 'multiple-salt-heads', nodeId: 'salt2', message: 'the design has 2 salt heads (salt, salt2); it takes at most one' },
      ]);
      expect(validateArchitecture(arch)).toHaveLength(1);
    });

    it('salt-head-input: a level above the bottom, or a node off the mask path', () => {
      const high = only(validateArchitecture(withSalt('res')), 'salt-head-input');
      expect(high).toEqual([
        {
          code: 'salt-head-input',
          nodeId: 'salt',
          edge: { from: 'res', to: 'salt' },
          message: 'salt head "salt" must read the bottom level (4x4), but its input "res" is 8x8',
        },
      ]);
      // The decoder's 8x8 output is as wrong as the encoder's.
      expect(only(validateArchitecture(withSalt('upx')), 'salt-head-input').map((e) => e.message)).toEqual([
        'salt head "salt" must read the bottom level (4x4), but its input "upx" is 8x8',
      ]);
      const side = withSalt('side');
      side.nodes.push({ id: 'side', kind: 'bn' });
      side.edges.push({ from: 'dn', to: 'side' });
      const errs = validateArchitecture(side);
      expect(only(errs, 'salt-head-input').map((e) => e.message)).toEqual([
        'salt head "salt" must read a node of the mask path, but its input "side" does not lead to the head',
      ]);
      // The branch itself is unreachable from the head; the salt head is not reported for that.
      expect(only(errs, 'unreachable').map((e) => e.message)).toEqual(['node "side" does not lead to the head']);
    });

    it('port: nothing may follow it, and it needs its input', () => {
      const feeding = withSalt('dn');
      feeding.nodes.push({ id: 'after', kind: 'bn' });
      feeding.edges.push({ from: 'salt', to: 'after' });
      expect(only(validateArchitecture(feeding), 'port').map((e) => e.message)).toEqual([
        'salt head "salt" cannot feed other nodes, but it feeds after',
      ]);
      const unfed = miniUNet();
      unfed.nodes.push({ id: 'salt', kind: 'saltHead', lossWeight: 0.1 });
      expect(only(validateArchitecture(unfed), 'port').map((e) => e.message)).toEqual(['node "salt": nothing is connected to its "in" port']);
    });

    it('bad-param: a loss weight above 0 and at most 10, whole hidden units', () => {
      expect(only(validateArchitecture(withSalt('dn', { lossWeight: 0 })), 'bad-param').map((e) => e.message)).toEqual([
        'node "salt" (nodes[7].lossWeight): must be above 0, got 0',
      ]);
      expect(only(validateArchitecture(withSalt('dn', { lossWeight: 11 })), 'bad-param').map((e) => e.message)).toEqual([
        'node "salt" (nodes[7].lossWeight): must be at most 10, got 11',
      ]);
      expect(only(validateArchitecture(withSalt('dn', { hidden: 2.5 })), 'bad-param').map((e) => e.message)).toEqual([
        'node "salt" (nodes[7].hidden): must be a whole number, got 2.5',
      ]);
      const raw = JSON.parse(serializeArchitecture(withSalt('dn'))) as { nodes: Record<string, unknown>[] };
      delete raw.nodes[7]?.lossWeight;
      expect(parseErrors(raw).map((e) => e.message)).toEqual(['node "salt" (nodes[7].lossWeight): required field is missing']);
    });
  });

  it('every error code has a test above', () => {
    // Codes tested through `only`: this runs last in the file.
    const untested = ARCH_ERROR_CODES.filter((c) => !covered.has(c));
    expect(untested).toEqual([]);
  });
});
