#!/usr/bin/env node
// `npx strata` (package.json "bin"): runs the TypeScript CLI through tsx's loader, as `npm run strata` does.
import { register } from 'tsx/esm/api';

register();
await import('./strata.ts');
