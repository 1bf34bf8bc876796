/** `node --import ./register.mjs main.js`: installs hooks.mjs, so that `electron` is the stand-in. */
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
