/** Experiments: the file format (schema.ts), its check and expansion into planned runs (expand.ts), and fingerprints (hash.ts). */
export * from './schema';
export * from './expand';
export * from './hash';
