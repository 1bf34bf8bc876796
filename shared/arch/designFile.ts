/**
 * The size limit of a design file, shared by every way one is read: the designer's file input and
 * drop (the page), and the desktop app's open dialog (the main process).
 */

/** Largest design file read; real designs are a few kilobytes. */
export const MAX_DESIGN_FILE_BYTES = 5 * 1024 * 1024;

/** The size check before reading a design file, as a message; null when it may be read. */
export function designFileSizeProblem(fileName: string, bytes: number): string | null {
  if (bytes > MAX_DESIGN_FILE_BYTES) {
    return `${fileName} is ${(bytes / 1024 / 1024).toFixed(1)} MB; a design file is at most ${MAX_DESIGN_FILE_BYTES / 1024 / 1024} MB`;
  }
  return null;
}
