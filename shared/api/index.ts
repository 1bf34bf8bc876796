/** The lab API contract: channels, their schemas and types, errors, and the browser-mode wire format. */
export * from './channels';
export * from './client';
export * from './errors';
export * from './http';
export * from './reply';
export * from './schemas';
export * from './types';
export * from './validate';
export * from './wire';
