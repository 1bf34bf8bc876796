/**
 * The API's handlers, derived rather than written: a channel is served by the method of the same
 * name, called with the channel's parameters (already checked against its schema). The shell's
 * channels come from the shell (browser mode's or the desktop app's); every other channel from the
 * lab service. A channel added to the table without a method of its name is a type error here.
 */
import { CHANNEL_NAMES, CHANNELS, type ApiHandlers, type ChannelName } from '../../shared/api/channels';
import type { LabService } from './service';
import { browserShell, guardWrites, SHELL_CHANNELS, type ShellChannel, type ShellHandlers } from './shell';

/** The channels the lab service answers: all but the shell's. */
export type ServiceChannel = Exclude<ChannelName, ShellChannel>;

/** {@link ServiceChannel}'s names, in table order. */
export const SERVICE_CHANNELS: readonly ServiceChannel[] = CHANNEL_NAMES.filter(
  (n): n is ServiceChannel => !(SHELL_CHANNELS as readonly ChannelName[]).includes(n),
);

/** An object with a method of each channel's name, typed as that channel's handler. */
export type Serving<N extends ChannelName> = { [K in N]: ApiHandlers[K] };

/**
 * The handlers of channels `names`, each bound to `service`'s method of the same name (a call gets
 * the parameters, a stream the parameters and its emitter). Throws at once for a missing method.
 */
export function fromService<N extends ChannelName>(service: Serving<N>, names: readonly N[]): Pick<ApiHandlers, N> {
  const handlers: Partial<Record<ChannelName, unknown>> = {};
  for (const name of names) {
    const method: unknown = service[name];
    if (typeof method !== 'function') throw new TypeError(`${name}: the service has no method of that name`);
    handlers[name] =
      CHANNELS[name].kind === 'call'
        ? (params: unknown) => method.call(service, params) as unknown
        : (params: unknown, emit: unknown) => method.call(service, params, emit) as unknown;
  }
  return handlers as Pick<ApiHandlers, N>;
}

/**
 * The handlers of every channel, served by `lab`. `shell` answers the native dialogs and the menu:
 * browser mode's by default, the desktop app passes its own. A shell with `allowWrite` (the desktop
 * app's) decides which paths the page may write a design or a submission to.
 */
export function createHandlers(lab: LabService, shell: ShellHandlers = browserShell(lab.dirs)) {
  const handlers = { ...fromService(lab, SERVICE_CHANNELS), ...fromService(shell, SHELL_CHANNELS) } satisfies ApiHandlers;
  return shell.allowWrite ? guardWrites(handlers, shell.allowWrite.bind(shell)) : handlers;
}
