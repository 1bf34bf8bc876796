/**
 * Saved designs: one JSON file per design in `<dataDir>/designs/<id>.json`, holding the design
 * document itself (so the CLI can train it with `--arch`). An invalid design can be kept while it is
 * being worked on; it is listed as invalid, with its errors, and cannot be trained.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { getPreset, parseArchitecture, PRESETS, serializeArchitecture, summarize, validateArchitecture } from '../../shared/arch';
import type { ArchError } from '../../shared/arch/errors';
import type { Architecture } from '../../shared/arch/types';
import { DESIGN_ID_PATTERN } from '../../shared/api/schemas';
import type { DesignCheck, DesignListItem, DesignRecord, PresetInfo } from '../../shared/api/types';
import { errnoCode, unlessMissing, writeFileAtomic } from '../runs/atomic';
import { LabError } from './errors';

/** Parses and validates a design document; the summary is computed only for a valid design. */
export function checkDesign(doc: unknown): DesignCheck {
  const parsed = parseArchitecture(doc);
  if (!parsed.ok) return { valid: false, errors: parsed.errors, summary: null, arch: null };
  const errors = validateArchitecture(parsed.arch);
  if (errors.length > 0) return { valid: false, errors, summary: null, arch: parsed.arch };
  const s = summarize(parsed.arch);
  if (!s.ok) return { valid: false, errors: s.errors, summary: null, arch: parsed.arch };
  return { valid: true, errors: [], summary: s.summary, arch: parsed.arch };
}

let presetInfos: PresetInfo[] | null = null;

/** The built-in designs with their headline numbers (computed once). */
export function listPresets(): PresetInfo[] {
  presetInfos ??= Object.entries(PRESETS).map(([name, p]) => {
    const s = summarize(p.build());
    if (!s.ok) throw new Error(`preset ${name} does not validate: ${s.errors.map((e) => e.message).join('; ')}`);
    return { name, title: p.title, description: p.description, convLayers: s.summary.convLayers, params: s.summary.params };
  });
  return presetInfos;
}

/** A fresh copy of preset `name`; `not-found` when there is none. */
export function presetArch(name: string): Architecture {
  const arch = getPreset(name);
  if (!arch) throw new LabError('not-found', `no preset ${JSON.stringify(name)}; presets: ${Object.keys(PRESETS).join(', ')}`);
  return arch;
}

interface Checked {
  mtimeMs: number;
  size: number;
  record: DesignRecord;
}

/** The designs folder. */
export class Designs {
  readonly dir: string;
  /** Validation results by file, so listing does not re-validate unchanged designs. */
  private readonly checked = new Map<string, Checked>();

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'designs');
  }

  /** The file of design `id`; ids that could lead outside the folder are refused. */
  private fileOf(id: string): string {
    if (!DESIGN_ID_PATTERN.test(id)) throw new LabError('bad-request', `invalid design id ${JSON.stringify(id.slice(0, 80))}`);
    const file = path.resolve(this.dir, `${id}.json`);
    if (path.dirname(file) !== path.resolve(this.dir)) throw new LabError('bad-request', `invalid design id ${JSON.stringify(id)}`);
    return file;
  }

  /** Every saved design, most recently changed first. */
  list(): DesignListItem[] {
    const names = unlessMissing(() => fs.readdirSync(this.dir), []);
    const items: DesignListItem[] = [];
    for (const name of names) {
      const id = name.endsWith('.json') ? name.slice(0, -5) : '';
      if (!DESIGN_ID_PATTERN.test(id)) continue;
      try {
        const { arch: _a, errors: _e, ...item } = this.load(id);
        items.push(item);
      } catch (e) {
        // A file removed between the listing and the read is simply gone; anything else is reported.
        if (!(e instanceof LabError && e.code === 'not-found')) throw e;
      }
    }
    return items.sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
  }

  /** Design `id` as saved, with its validity and errors. */
  load(id: string): DesignRecord {
    const file = this.fileOf(id);
    let st: fs.Stats;
    let text: string;
    try {
      st = fs.statSync(file);
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw new LabError('not-found', `no design ${id}`);
      throw e;
    }
    const cached = this.checked.get(file);
    if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.record;
    let doc: unknown;
    let errors: ArchError[];
    let check: DesignCheck | null = null;
    try {
      doc = JSON.parse(text);
      check = checkDesign(doc);
      errors = check.errors;
    } catch (e) {
      doc = null;
      errors = [{ code: 'bad-json', message: `${file}: not valid JSON: ${e instanceof Error ? e.message : String(e)}` }];
    }
    const record: DesignRecord = {
      id,
      name: nameOf(doc) ?? id,
      updatedAt: st.mtimeMs,
      valid: check?.valid ?? false,
      convLayers: check?.summary?.convLayers ?? null,
      errorCount: errors.length,
      arch: doc,
      errors,
    };
    this.checked.set(file, { mtimeMs: st.mtimeMs, size: st.size, record });
    return record;
  }

  /**
   * Saves `doc` as design `id` (a new id from its name when none is given), valid or not. A design
   * that parses is written in its canonical form, so equal designs give equal files.
   */
  save(doc: unknown, id?: string): DesignRecord {
    const name = nameOf(doc) ?? 'design';
    const target = id ?? newDesignId(name);
    const file = this.fileOf(target);
    const parsed = parseArchitecture(doc);
    const text = parsed.ok ? serializeArchitecture(parsed.arch) : `${JSON.stringify(doc, null, 2)}\n`;
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(file, text);
    this.checked.delete(file);
    return this.load(target);
  }

  /** The design to train: it must exist and be valid. */
  trainable(id: string): Architecture {
    const r = this.load(id);
    const check = checkDesign(r.arch);
    if (!check.valid || !check.arch) {
      throw new LabError('conflict', `design ${id} is invalid and cannot be trained: ${r.errors.slice(0, 3).map((e) => e.message).join('; ')}`);
    }
    return check.arch;
  }

  /** Deletes design `id`. */
  delete(id: string): void {
    const file = this.fileOf(id);
    try {
      fs.rmSync(file);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw new LabError('not-found', `no design ${id}`);
      throw e;
    }
    this.checked.delete(file);
  }
}

function nameOf(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || !('name' in doc)) return undefined;
  return typeof doc.name === 'string' && doc.name.length > 0 ? doc.name : undefined;
}

/** A readable, unique id from a design's name, e.g. `my-unet-3f9a1c`. */
function newDesignId(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 40);
  return `${slug || 'design'}-${randomBytes(3).toString('hex')}`;
}
