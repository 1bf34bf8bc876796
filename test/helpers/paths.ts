import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Real TGS Salt data, beside the repository (never copied into it). */
export const TGS_DIR = path.resolve(REPO_ROOT, '../shared/tgs');
/** The research note the lab is built around. */
export const NOTE_PATH = path.resolve(REPO_ROOT, '../shared/reference/strict-resnet-unet-notes.txt');
