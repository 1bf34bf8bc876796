/**
 * Strata's icon: a cross-section of layered strata pushed up into an arch by a white salt dome, on
 * a rounded tile. The mark is defined once, below, as SVG path data on a 1024 grid; this file
 * writes that as resources/icon.svg (the vector source) and rasterises the very same paths itself
 * (no native renderer: a scanline filler with exact horizontal and 16-row vertical coverage), into
 * every file electron-builder takes from `resources/`:
 *
 * - icons/NxN.png for N in 16..1024 (Linux's icon set, the .desktop icon and hicolor sizes);
 * - icon.png (1024x1024, the common icon);
 * - icon.ico (Windows: 16..128 as 32-bit bitmaps, 256 as PNG, as Windows' own icons are laid out);
 * - icon.icns (macOS: PNG entries from 16x16 to 512x512@2x).
 *
 *   npm run build:icons             writes them
 *   npm run build:icons -- --check  exits 1 if a committed file differs from what this file makes
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from 'fast-png';

/** The folder electron-builder reads (`directories.buildResources`). */
export const RESOURCES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../resources');

/** The PNG sizes of the Linux icon set. */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
/** Sizes in icon.ico: Windows uses 16 (lists), 24, 32 (taskbar), 48 (explorer), 64, 128 and 256 (large views). */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
/** icns entry types with the pixel size each holds (Apple's PNG-based types). */
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
] as const;

const GRID = 1024;

type Rgb = readonly [number, number, number];

interface Shape {
  /** SVG path data: absolute M, L, C and Z only. */
  d: string;
  fill: string;
}

/** A boundary between two strata: flat at `y`, arched up by `lift` over the dome. */
function stratum(y: number, lift: number, fill: string): Shape {
  const top = y - lift;
  return {
    d: `M0 ${y} L180 ${y} C330 ${y} 370 ${top} 512 ${top} C654 ${top} 694 ${y} 844 ${y} L1024 ${y} L1024 1024 L0 1024 Z`,
    fill,
  };
}

/** The tile: a rounded square with Apple's margin (100 of 1024 is theirs; 80 reads better at 16px). */
const TILE = { x: 80, y: 80, size: 864, radius: 196 } as const;

function tilePath(): string {
  const { x, y, size, radius: r } = TILE;
  const k = r * 0.5523; // cubic approximation of a quarter circle
  const x1 = x + size;
  const y1 = y + size;
  return [
    `M${x + r} ${y}`,
    `L${x1 - r} ${y}`,
    `C${x1 - r + k} ${y} ${x1} ${y + r - k} ${x1} ${y + r}`,
    `L${x1} ${y1 - r}`,
    `C${x1} ${y1 - r + k} ${x1 - r + k} ${y1} ${x1 - r} ${y1}`,
    `L${x + r} ${y1}`,
    `C${x + r - k} ${y1} ${x} ${y1 - r + k} ${x} ${y1 - r}`,
    `L${x} ${y + r}`,
    `C${x} ${y + r - k} ${x + r - k} ${y} ${x + r} ${y}`,
    'Z',
  ].join(' ');
}

/** Night-blue sky, then sand, ochre, rust and plum strata; the dome rises through the lower two. */
const SKY = '#1b2a41';
const SHAPES: readonly Shape[] = [
  stratum(300, 92, '#e9c46a'),
  stratum(452, 130, '#f4a261'),
  stratum(612, 142, '#e76f51'),
  stratum(772, 124, '#7a3b4d'),
  {
    // The salt dome: a stem from below widening into an overhanging cap.
    d: 'M440 1024 L456 626 C384 614 354 566 362 522 C374 444 440 404 512 404 C584 404 650 444 662 522 C670 566 640 614 568 626 L584 1024 Z',
    fill: '#f6f3ec',
  },
];

/** resources/icon.svg. */
export function iconSvg(): string {
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024" viewBox="0 0 1024 1024">',
    '  <!-- Strata: layered strata arched over a salt dome. Written by src-main/build/icons.ts (npm run build:icons); edit the shapes there. -->',
    '  <title>Strata</title>',
    '  <defs>',
    `    <clipPath id="tile"><path d="${tilePath()}"/></clipPath>`,
    '  </defs>',
    '  <g clip-path="url(#tile)">',
    `    <rect width="1024" height="1024" fill="${SKY}"/>`,
    ...SHAPES.map((s) => `    <path d="${s.d}" fill="${s.fill}"/>`),
    '  </g>',
    '</svg>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Rasterising.

/** The polygon of an M/L/C/Z path, curves flattened, as edges in grid units. */
function flatten(d: string): [number, number, number, number][] {
  const tokens = d.match(/[MLCZ]|-?\d+(?:\.\d+)?/g) ?? [];
  const edges: [number, number, number, number][] = [];
  let i = 0;
  let cx = 0;
  let cy = 0;
  let sx = 0;
  let sy = 0;
  const num = (): number => {
    const t = tokens[i++];
    if (t === undefined || !/\d/.test(t)) throw new Error(`icon path: expected a number at token ${i - 1} of "${d}"`);
    return Number(t);
  };
  const lineTo = (x: number, y: number): void => {
    if (x !== cx || y !== cy) edges.push([cx, cy, x, y]);
    cx = x;
    cy = y;
  };
  while (i < tokens.length) {
    const op = tokens[i++];
    if (op === 'M') {
      cx = sx = num();
      cy = sy = num();
    } else if (op === 'L') {
      lineTo(num(), num());
    } else if (op === 'C') {
      const [x0, y0, x1, y1, x2, y2, x3, y3] = [cx, cy, num(), num(), num(), num(), num(), num()];
      const steps = 32;
      for (let s = 1; s <= steps; s++) {
        const t = s / steps;
        const u = 1 - t;
        lineTo(u * u * u * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3, u * u * u * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3);
      }
    } else if (op === 'Z') {
      lineTo(sx, sy);
    } else {
      throw new Error(`icon path: unsupported command ${op ?? '(end)'} in "${d}"`);
    }
  }
  return edges;
}

const SUBROWS = 16;

/** Coverage (0..1) of each pixel of a `size` square by a path, with the nonzero rule. */
function coverage(d: string, size: number): Float32Array {
  const scale = size / GRID;
  const edges = flatten(d).map(([x0, y0, x1, y1]) => [x0 * scale, y0 * scale, x1 * scale, y1 * scale] as const);
  const cov = new Float32Array(size * size);
  const crossings: { x: number; dir: number }[] = [];
  for (let py = 0; py < size; py++) {
    for (let s = 0; s < SUBROWS; s++) {
      const y = py + (s + 0.5) / SUBROWS;
      crossings.length = 0;
      for (const [x0, y0, x1, y1] of edges) {
        if (y0 === y1 || y < Math.min(y0, y1) || y >= Math.max(y0, y1)) continue;
        crossings.push({ x: x0 + ((y - y0) / (y1 - y0)) * (x1 - x0), dir: y1 > y0 ? 1 : -1 });
      }
      crossings.sort((a, b) => a.x - b.x);
      let winding = 0;
      for (let k = 0; k < crossings.length - 1; k++) {
        const c = crossings[k];
        const next = crossings[k + 1];
        if (c === undefined || next === undefined) break;
        winding += c.dir;
        if (winding !== 0) addSpan(cov, py * size, size, c.x, next.x, 1 / SUBROWS);
      }
    }
  }
  return cov;
}

/** Adds `weight` times the part of each pixel of one row that lies within [xa, xb). */
function addSpan(cov: Float32Array, row: number, size: number, xa: number, xb: number, weight: number): void {
  const a = Math.max(0, xa);
  const b = Math.min(size, xb);
  if (b <= a) return;
  const first = Math.floor(a);
  const last = Math.min(size - 1, Math.ceil(b) - 1);
  for (let px = first; px <= last; px++) {
    const covered = Math.min(b, px + 1) - Math.max(a, px);
    cov[row + px] = (cov[row + px] ?? 0) + covered * weight;
  }
}

function rgb(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The icon as straight-alpha RGBA pixels. */
export function renderIcon(size: number): Uint8Array {
  const px = size * size;
  const color = new Float32Array(px * 3);
  const sky = rgb(SKY);
  for (let i = 0; i < px; i++) color.set(sky, i * 3);
  for (const shape of SHAPES) {
    const c = rgb(shape.fill);
    const cov = coverage(shape.d, size);
    for (let i = 0; i < px; i++) {
      const a = Math.min(1, cov[i] ?? 0);
      if (a === 0) continue;
      for (let k = 0; k < 3; k++) color[i * 3 + k] = (color[i * 3 + k] ?? 0) * (1 - a) + (c[k] ?? 0) * a;
    }
  }
  // The tile clips everything: its coverage is the alpha of a picture painted edge to edge.
  const alpha = coverage(tilePath(), size);
  const out = new Uint8Array(px * 4);
  for (let i = 0; i < px; i++) {
    for (let k = 0; k < 3; k++) out[i * 4 + k] = Math.round(color[i * 3 + k] ?? 0);
    out[i * 4 + 3] = Math.round(Math.min(1, alpha[i] ?? 0) * 255);
  }
  return out;
}

function png(size: number, pixels: Uint8Array): Buffer {
  return Buffer.from(encode({ width: size, height: size, data: pixels, channels: 4, depth: 8 }));
}

/** A 32-bit BMP icon image: BITMAPINFOHEADER (double height: image plus AND mask), BGRA bottom-up, then the mask. */
function icoBitmap(size: number, pixels: Uint8Array): Buffer {
  const maskRow = Math.ceil(size / 32) * 4;
  const out = Buffer.alloc(40 + size * size * 4 + maskRow * size);
  out.writeUInt32LE(40, 0);
  out.writeInt32LE(size, 4);
  out.writeInt32LE(size * 2, 8);
  out.writeUInt16LE(1, 12);
  out.writeUInt16LE(32, 14);
  out.writeUInt32LE(0, 16); // BI_RGB
  out.writeUInt32LE(size * size * 4 + maskRow * size, 20);
  for (let y = 0; y < size; y++) {
    const src = (size - 1 - y) * size * 4;
    for (let x = 0; x < size; x++) {
      const o = 40 + (y * size + x) * 4;
      const s = src + x * 4;
      out[o] = pixels[s + 2] ?? 0;
      out[o + 1] = pixels[s + 1] ?? 0;
      out[o + 2] = pixels[s] ?? 0;
      out[o + 3] = pixels[s + 3] ?? 0;
    }
  }
  // AND mask: 1 where fully transparent (for the few readers that ignore the alpha channel).
  const maskStart = 40 + size * size * 4;
  for (let y = 0; y < size; y++) {
    const src = (size - 1 - y) * size * 4;
    for (let x = 0; x < size; x++) {
      if ((pixels[src + x * 4 + 3] ?? 0) === 0) {
        const o = maskStart + y * maskRow + (x >> 3);
        out[o] = (out[o] ?? 0) | (0x80 >> (x & 7));
      }
    }
  }
  return out;
}

function ico(images: ReadonlyMap<number, { pixels: Uint8Array; png: Buffer }>): Buffer {
  const entries = ICO_SIZES.map((size) => {
    const img = images.get(size);
    if (!img) throw new Error(`no ${size}px image for icon.ico`);
    return { size, data: size >= 256 ? img.png : icoBitmap(size, img.pixels) };
  });
  const header = Buffer.alloc(6 + 16 * entries.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1: icon
  header.writeUInt16LE(entries.length, 4);
  let offset = header.length;
  entries.forEach(({ size, data }, i) => {
    const e = 6 + 16 * i;
    header[e] = size >= 256 ? 0 : size; // 0 means 256
    header[e + 1] = size >= 256 ? 0 : size;
    header.writeUInt16LE(1, e + 4); // colour planes
    header.writeUInt16LE(32, e + 6); // bits per pixel
    header.writeUInt32LE(data.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...entries.map((e) => e.data)]);
}

function icns(images: ReadonlyMap<number, { png: Buffer }>): Buffer {
  const chunks = ICNS_TYPES.map(([type, size]) => {
    const img = images.get(size);
    if (!img) throw new Error(`no ${size}px image for icon.icns`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(8 + img.png.length, 4);
    return Buffer.concat([head, img.png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

/** Every generated file, by its path relative to resources/. */
export function renderIconFiles(): Map<string, Buffer> {
  const images = new Map<number, { pixels: Uint8Array; png: Buffer }>();
  for (const size of PNG_SIZES) {
    const pixels = renderIcon(size);
    images.set(size, { pixels, png: png(size, pixels) });
  }
  const files = new Map<string, Buffer>();
  files.set('icon.svg', Buffer.from(iconSvg()));
  for (const [size, img] of images) files.set(`icons/${size}x${size}.png`, img.png);
  const largest = images.get(1024);
  if (!largest) throw new Error('no 1024px image');
  files.set('icon.png', largest.png);
  files.set('icon.ico', ico(images));
  files.set('icon.icns', icns(images));
  return files;
}

/** The generated files whose committed copy differs from what this file makes now (missing ones too). */
export function staleIconFiles(dir: string = RESOURCES_DIR): string[] {
  const stale: string[] = [];
  for (const [name, data] of renderIconFiles()) {
    let current: Buffer | null = null;
    try {
      current = readFileSync(path.join(dir, name));
    } catch {
      // Missing: stale.
    }
    if (current === null || !current.equals(data)) stale.push(name);
  }
  return stale;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleIconFiles();
    if (stale.length > 0) {
      process.stderr.write(`resources/ is out of date with src-main/build/icons.ts (${stale.join(', ')}); run 'npm run build:icons'\n`);
      process.exit(1);
    }
    process.stdout.write('resources/ icons are up to date\n');
  } else {
    for (const [name, data] of renderIconFiles()) {
      const file = path.join(RESOURCES_DIR, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, data);
    }
    process.stdout.write(`wrote the icon files into ${path.relative(process.cwd(), RESOURCES_DIR) || '.'}/\n`);
  }
}
