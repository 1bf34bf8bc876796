/**
 * Designs in and out of the designer: a dropped or opened file becomes a design or a clear error
 * naming the file, exports get file names, and "Train this design" gets its address.
 */
import type { DesignChoice } from './trainingSetup';
import { formatArchErrors } from '../../shared/arch/errors';
import { parseArchitectureText } from '../../shared/arch/parse';
import type { Architecture } from '../../shared/arch/types';
import { designFileSizeProblem } from '../../shared/arch/designFile';
import { fileStem } from './desktopShell';

export { MAX_DESIGN_FILE_BYTES } from '../../shared/arch/designFile';

/** A file read as a design: the design, or a message for people. */
export type ImportResult = { ok: true; arch: Architecture } | { ok: false; message: string };

/** At most this many problems are listed in an import error; the rest are counted. */
const LISTED = 8;

/**
 * Parses the text of file `fileName`. Only the parser's rules apply: a design that parses but does
 * not validate is imported, and its problems are shown on the canvas as usual.
 */
export function importDesignText(fileName: string, text: string): ImportResult {
  const r = parseArchitectureText(text);
  if (r.ok) return r;
  const shown = r.errors.slice(0, LISTED);
  const more = r.errors.length - shown.length;
  const rest = more > 0 ? `\n… and ${more} more` : '';
  return { ok: false, message: `${fileName} is not a Strata design:\n${formatArchErrors(shown)}${rest}` };
}

/** The size check before reading a file, as a message; null when it may be read. */
export const fileSizeProblem = designFileSizeProblem;

/** A file-name-safe stem for exports of design `name`. */
export function exportStem(name: string): string {
  return fileStem(name, 'design');
}

/** What the Training view is opened with: a saved design or an unchanged preset. */
export type TrainTarget = DesignChoice;
