/**
 * `npm run lab`: the lab in browser mode. Prints the address (with its token) as the FIRST line on
 * stdout, then serves until Ctrl-C or SIGTERM, when it stops the training run (checkpoints kept).
 */
import { RunStoreOpenError, storeOpenAdvice } from '../../../runs/errors';
import { RunStore } from '../../../runs/store';
import { createHandlers } from '../../handlers';
import { ensureLabDirs, resolveLabDirs } from '../../paths';
import { LabService } from '../../service';
import { LabArgsError, parseLabArgs, USAGE } from './args';
import { ensureRendererBuilt } from './ensureBuilt';
import { startLabServer } from './server';

async function main(): Promise<number> {
  const args = parseLabArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dirs = ensureLabDirs(
    resolveLabDirs({
      ...(args.dataDir === undefined ? {} : { dataDir: args.dataDir }),
      ...(args.runsDir === undefined ? {} : { runsDir: args.runsDir }),
    }),
  );
  // The runs folder first, so one this lab cannot open is said at once, not after a UI build; the
  // lab itself opens after the build, which blocks this process, so that no trainer (a queued run,
  // the backend probe) waits on it.
  RunStore.open(dirs.runsDir).close();
  ensureRendererBuilt(args.staticDir);
  const lab = LabService.open(dirs);
  // From here on a fault nobody caught is logged and the lab goes on serving (faultHandlers.ts).
  lab.installFaultHandlers((line) => process.stderr.write(line));
  let server;
  try {
    server = await startLabServer({ handlers: createHandlers(lab), port: args.port, staticDir: args.staticDir });
  } catch (e) {
    await lab.close();
    throw e;
  }
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(`lab: data in ${dirs.dataDir}, runs in ${dirs.runsDir}; Ctrl-C to stop\n`);

  const open = server;
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`lab: ${signal}: stopping (a training run keeps its checkpoints)\n`);
      void open
        .close()
        .then(() => lab.close())
        .finally(resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof LabArgsError) process.stderr.write(`lab: ${e.message}\n\n${USAGE}`);
    // A runs folder this lab cannot read (not an index, a newer one): which file, and what to do.
    else if (e instanceof RunStoreOpenError) process.stderr.write(`lab: ${storeOpenAdvice(e, 'start the lab with --runs-dir DIR (or STRATA_RUNS_DIR=DIR) to use another runs folder')}\n`);
    else process.stderr.write(`lab: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof LabArgsError || e instanceof RunStoreOpenError ? 2 : 1);
  },
);
