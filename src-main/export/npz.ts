/**
 * numpy's .npz: a zip archive of .npy arrays, which `numpy.load` reads into a name -> array mapping
 * with nothing but numpy. Written here as numpy's own `savez` writes it (entries stored, not
 * compressed): each array a .npy file of format 1.0 (magic, version, a Python-dict header padded to
 * 64 bytes, then the little-endian float32 data in C order), in a zip with a central directory.
 * Without zip64: each array and the archive must stay under 4 GiB, which {@link npzProblem} checks.
 */
import { crc32 } from 'node:zlib';

/** One float32 array. */
export interface NpzArray {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

const ZIP_LIMIT = 2 ** 32 - 1;
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The .npy file of `a`: header and data. */
function npy(a: NpzArray): Uint8Array[] {
  const shape = `(${a.shape.join(', ')}${a.shape.length === 1 ? ',' : ''})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  // Magic (6) + version (2) + header length (2) + header + '\n', a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header}${' '.repeat(total - 10 - header.length - 1)}\n`;
  const head = new Uint8Array(total);
  head.set([0x93, ...Buffer.from('NUMPY', 'latin1'), 1, 0]);
  new DataView(head.buffer).setUint16(8, header.length, true);
  head.set(Buffer.from(header, 'latin1'), 10);
  let data: Uint8Array;
  if (littleEndian) data = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  else {
    data = new Uint8Array(a.data.length * 4);
    const v = new DataView(data.buffer);
    for (let i = 0; i < a.data.length; i++) v.setFloat32(i * 4, a.data[i] ?? 0, true);
  }
  return [head, data];
}

/** Why `arrays` cannot be one .npz, or null: more than 65535 arrays, or an array or the archive at 4 GiB or more (zip64 is not written). */
export function npzProblem(arrays: readonly NpzArray[]): string | null {
  if (arrays.length > 0xffff) return `${arrays.length} arrays are more than a zip without zip64 holds (65535)`;
  let total = 22;
  for (const a of arrays) {
    const bytes = a.data.byteLength + 128;
    if (bytes > ZIP_LIMIT) return `${a.name} (${a.shape.join('x')}) is 4 GiB or more, which a .npz without zip64 cannot hold`;
    total += bytes + 30 + 46 + 2 * (a.name.length + 4);
    if (total > ZIP_LIMIT) return `the weights pass 4 GiB at ${a.name}, more than a .npz without zip64 holds`;
  }
  return null;
}

/** The .npz of `arrays`, as chunks to write one after another (`numpy.load(path)[name]` gives each back). */
export function npzChunks(arrays: readonly NpzArray[]): Uint8Array[] {
  const problem = npzProblem(arrays);
  if (problem) throw new RangeError(problem);
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const a of arrays) {
    const name = Buffer.from(`${a.name}.npy`, 'utf8');
    const parts = npy(a);
    const size = parts.reduce((n, p) => n + p.length, 0);
    const crc = parts.reduce((c, p) => crc32(p, c), 0);
    const local = new Uint8Array(30 + name.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true); // version needed: 2.0
    l.setUint16(6, 0x0800, true); // UTF-8 names
    l.setUint16(8, 0, true); // stored
    l.setUint32(10, 0, true); // time, date: none
    l.setUint32(14, crc, true);
    l.setUint32(18, size, true);
    l.setUint32(22, size, true);
    l.setUint16(26, name.length, true);
    local.set(name, 30);
    const entry = new Uint8Array(46 + name.length);
    const c = new DataView(entry.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(8, 0x0800, true);
    c.setUint16(10, 0, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, size, true);
    c.setUint32(24, size, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, offset, true);
    entry.set(name, 46);
    central.push(entry);
    chunks.push(local, ...parts);
    offset += local.length + size;
  }
  const dirSize = central.reduce((n, e) => n + e.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, arrays.length, true);
  e.setUint16(10, arrays.length, true);
  e.setUint32(12, dirSize, true);
  e.setUint32(16, offset, true);
  return [...chunks, ...central, end];
}
