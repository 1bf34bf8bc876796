/** Command-line options of `npm run lab`. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The port the lab tries first. */
export const DEFAULT_PORT = 5178;

/** What `npm run lab` was asked to do. */
export interface LabArgs {
  port: number;
  runsDir?: string;
  dataDir?: string;
  staticDir: string;
  help: boolean;
}

/** A bad command line; the message says which option and why. */
export class LabArgsError extends Error {
  override readonly name = 'LabArgsError';
}

/** The usage text. */
export const USAGE = `usage: npm run lab -- [--port N] [--data-dir DIR] [--runs-dir DIR] [--static-dir DIR]

Serves the Strata lab on 127.0.0.1: the UI, and its API for the UI. The first line printed is the
address to open, with the access token.

  --port N          port to listen on (default ${DEFAULT_PORT}; 0 picks any free port)
  --data-dir DIR    datasets list, designs and training queue (default $STRATA_HOME, else the
                    app-data folder: ~/.config/Strata, ~/Library/Application Support/Strata, %APPDATA%\\Strata)
  --runs-dir DIR    the run store (default $STRATA_RUNS_DIR, else runs/ in the data folder)
  --static-dir DIR  the built UI (default dist/renderer in the repository)
`;

/** The built renderer beside this source tree. */
function defaultStaticDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../dist/renderer');
}

/** Parses `argv` (without node and the script). */
export function parseLabArgs(argv: string[]): LabArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'runs-dir': { type: 'string' },
        'data-dir': { type: 'string' },
        'static-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new LabArgsError(e instanceof Error ? e.message : String(e));
  }
  let port = DEFAULT_PORT;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new LabArgsError(`--port: expected a port number from 0 to 65535, got '${values.port}'`);
  }
  return {
    port,
    ...(values['runs-dir'] === undefined ? {} : { runsDir: values['runs-dir'] }),
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    staticDir: path.resolve(values['static-dir'] ?? defaultStaticDir()),
    help: values.help === true,
  };
}
