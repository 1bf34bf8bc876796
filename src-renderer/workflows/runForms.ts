/**
 * What the two forms that start runs share (the Runs view's new-run form, workflows/newRun.ts, and
 * the training setup, workflows/trainingSetup.ts): how they read typed numbers, how they show the run
 * request schema's messages, and the demo set's size they start with.
 */

/**
 * The key of a message about the form as a whole: a schema issue whose path maps to none of the
 * form's fields is shown there, above the form's buttons, not under a field it is not about.
 */
export const FORM_MESSAGE = 'form';
/** See {@link FORM_MESSAGE}. */
export type FormMessageKey = typeof FORM_MESSAGE;

/**
 * A message as a form shows it, next to a field or above its buttons: first letter capitalised. The
 * schema words its messages in lower case because the lab and the CLI print them after a path or a
 * flag (`config.epochs: epochs must be at least 1`).
 */
export function formMessage(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** A number as typed, or NaN (which the schema then refuses with the field's own message). */
export function typedNumber(raw: string): number {
  const t = raw.trim();
  return t === '' ? Number.NaN : Number(t);
}

/**
 * Demo samples a fresh form generates. Deliberately smaller than the lab's and the CLI's default
 * (400, `DEMO_COUNT` in src-main/lab/datasets.ts, used when a request names no count): a first run
 * from the UI is a quick look at the app (both forms start on the tiny preset), so it starts on a
 * small set; the field shows the count, and any count the schema allows (8 to 20000) can be typed.
 */
export const FORM_DEMO_COUNT = 64;
