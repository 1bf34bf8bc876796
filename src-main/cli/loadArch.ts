import { readFile } from 'node:fs/promises';
import { PRESETS, getPreset, parseArchitectureText, validateArchitecture } from '../../shared/arch';
import type { Architecture } from '../../shared/arch/types';
import { CliError } from './args';

/**
 * Resolves `--arch`: a preset name, or a path to a design JSON file. A file that does not parse or
 * does not validate is a CliError listing every problem, one per line.
 */
export async function loadArch(spec: string, { validate = true } = {}): Promise<Architecture> {
  const preset = getPreset(spec);
  if (preset) return preset;
  if (!/[./\\]/.test(spec)) {
    throw new CliError(`--arch: '${spec}' is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a .json file`);
  }
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new CliError(`--arch: cannot read '${spec}' (${code})`);
  }
  const parsed = parseArchitectureText(text);
  if (!parsed.ok) throw new CliError(`${spec}: not a valid Strata design:\n  ${parsed.errors.map((e) => e.message).join('\n  ')}`);
  if (validate) {
    const errors = validateArchitecture(parsed.arch);
    if (errors.length > 0) throw new CliError(`${spec}: the design is invalid:\n  ${errors.map((e) => e.message).join('\n  ')}`);
  }
  return parsed.arch;
}
