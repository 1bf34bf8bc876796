/**
 * Moved: the run configuration's schema, types and defaults are defined once, with the whole run
 * request, in shared/runs/request.ts. These names are re-exported for the code that still imports them here.
 */
export { defaultRunConfig, parseRunConfig, runConfigSchema as RUN_CONFIG_SCHEMA, type ConfigCheck } from '../runs/request';
