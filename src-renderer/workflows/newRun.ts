/**
 * The minimal "new run" form of the Runs view: a preset, a dataset, epochs and batch size. The
 * full training setup comes with the Training view; this one is enough to start a run.
 */
import type { ChannelInput } from '../../shared/api/channels';
import { DEMO_DATASET_ID } from '../../shared/api/types';
import { wholeNumber } from './formNumbers';

/** The form as typed: text fields stay strings until checked. */
export interface NewRunForm {
  preset: string;
  datasetId: string;
  epochs: string;
  batch: string;
  /** Samples to generate when training on the demo set; ignored for folders. */
  demoCount: string;
  name: string;
}

/** Fields of the form that can be wrong. */
export type NewRunField = 'preset' | 'datasetId' | 'epochs' | 'batch' | 'demoCount' | 'name';

/** The form checked: the request to send, or one message per wrong field. */
export type NewRunCheck =
  | { ok: true; request: ChannelInput<'startRun'> }
  | { ok: false; errors: Partial<Record<NewRunField, string>> };

/** A fresh form: the smallest preset on the demo set, a short run. */
export function emptyNewRunForm(preset = 'tiny'): NewRunForm {
  return { preset, datasetId: DEMO_DATASET_ID, epochs: '1', batch: '8', demoCount: '64', name: '' };
}

/** Checks the form; the lab checks again and its message is shown if it still refuses. */
export function checkNewRunForm(f: NewRunForm): NewRunCheck {
  const errors: Partial<Record<NewRunField, string>> = {};
  if (f.preset.trim() === '') errors.preset = 'Pick a design preset';
  if (f.datasetId.trim() === '') errors.datasetId = 'Pick a dataset';
  const epochs = wholeNumber(f.epochs, 'Epochs', 1, 100_000);
  if (typeof epochs === 'string') errors.epochs = epochs;
  const batch = wholeNumber(f.batch, 'Batch size', 1, 4096);
  if (typeof batch === 'string') errors.batch = batch;
  const demo = f.datasetId === DEMO_DATASET_ID;
  const demoCount = demo ? wholeNumber(f.demoCount, 'Demo samples', 8, 20_000) : null;
  if (typeof demoCount === 'string') errors.demoCount = demoCount;
  const name = f.name.trim();
  if (name.length > 200) errors.name = 'A name is at most 200 characters';
  if (Object.keys(errors).length > 0 || typeof epochs !== 'number' || typeof batch !== 'number' || typeof demoCount === 'string') {
    return { ok: false, errors };
  }
  return {
    ok: true,
    request: {
      design: { kind: 'preset', name: f.preset.trim() },
      datasetId: f.datasetId,
      ...(demoCount === null ? {} : { demoCount }),
      ...(name === '' ? {} : { name }),
      config: { epochs, batch },
    },
  };
}
