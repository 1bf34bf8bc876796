/** The architecture engine: types, parsing, validation, shapes, summaries, presets and edits. */
export * from './types';
export * from './errors';
export * from './limits';
export * from './parse';
export * from './graph';
export * from './shapes';
export * from './layers';
export * from './validate';
export * from './summary';
export * from './presets';
export * from './placement';
export * from './saltHead';
