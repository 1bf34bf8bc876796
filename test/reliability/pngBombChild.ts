/**
 * Child process of pngBomb.test.ts: imports the folder named by argv[2] and prints one JSON line with
 * the outcome (the dataset's ids and problems, or the message of a refused import) and the process's
 * peak resident memory, so the test measures a process of its own.
 */
import { readFileSync } from 'node:fs';
import { DatasetImportError, importTgsFolder } from '../../src-main/data/tgsImport';

/** VmHWM (peak resident set) from /proc, in bytes; null where there is no /proc. */
function vmHwm(): number | null {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

const before = process.resourceUsage().maxRSS * 1024;
const outcome = await importTgsFolder(process.argv[2] ?? '').then(
  (ds) => ({ ids: ds.ids, problems: ds.info.problems.map((p) => ({ file: p.file, code: p.code, message: p.message })) }),
  (error: unknown) => {
    if (!(error instanceof DatasetImportError)) throw error;
    return { refused: error.message, problems: error.problems.map((p) => ({ file: p.file, code: p.code, message: p.message })) };
  },
);
process.stdout.write(
  `${JSON.stringify({ ...outcome, rssBeforeImport: before, maxRss: process.resourceUsage().maxRSS * 1024, vmHwm: vmHwm() })}\n`,
);
