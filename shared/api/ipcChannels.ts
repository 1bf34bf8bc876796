/** The Electron transport's IPC channel names, shared by the preload and the main process. */
export const IPC = { call: 'strata:call', listen: 'strata:listen', unlisten: 'strata:unlisten', event: 'strata:event' } as const;
