/**
 * Zod without its eval-compiled fast path: the page's Content-Security-Policy allows no eval, and
 * zod's probe for it (`new Function("")`, caught) would still be reported as a policy violation.
 * Imported first by main.ts, because zod reads the setting when each schema is built, and shared/
 * builds its schemas as its modules load.
 */
import { z } from 'zod';

z.config({ jitless: true });
