/**
 * The Electron main process's entry: package.json's `main`, bundled on its own into
 * dist/main/electron/main.js. It imports only electron and Node's built-ins (and startupFailure.ts,
 * which imports nothing else), names the app, then loads the rest of the main process (app.ts, built
 * beside it as app.js, with the lab, the logging library and every dependency) inside a try. A
 * failure while that loads, such as a package missing from the install or a module that throws as it
 * is evaluated, still gets Strata's own error box with the message and where the logs are, a main.log
 * line written with plain fs, and exit code 1, instead of Electron's generic box and an empty log.
 * Failures after it has loaded are the start-up sequence's (startup.ts), which reports them the same way.
 */
import { app, dialog } from 'electron';
import path from 'node:path';
import { appendLogLine, ERROR_BOX_TITLE, errorBoxText, loadFailureMessage } from './startupFailure';

// Before any path is asked for: userData and logs follow the name, and under `npm start` Electron would
// take package.json's lowercase `name`. The Strata home (runs, designs) is the same folder as userData.
app.setName('Strata');

/** The rest of the main process could not load (or start): say so, log it, exit 1. */
async function loadFailed(err: unknown): Promise<void> {
  let logFile = 'main.log';
  try {
    logFile = path.join(app.getPath('logs'), 'main.log');
  } catch {
    // No logs folder to name: the file name alone, and stderr below.
  }
  if (!appendLogLine(logFile, 'error', 'start-up failed:', err)) process.stderr.write(`start-up failed: ${String(err)}\n`);
  try {
    // On Linux an error box shown before Electron is ready only goes to stderr.
    await app.whenReady();
    dialog.showErrorBox(ERROR_BOX_TITLE, errorBoxText(loadFailureMessage(err), logFile));
  } catch (e) {
    process.stderr.write(`could not show the error box: ${String(e)}\n`);
  }
  app.exit(1);
}

try {
  // Left as a separate file by the bundler (src-main/build/bundle.ts), so it loads here, inside the try.
  const { startApp } = await import('./app.js');
  await startApp();
} catch (err) {
  await loadFailed(err);
}
