/**
 * The minimal "new run" form of the Runs view: a preset, a dataset, epochs and batch size. The
 * full training setup comes with the Training view; this one is enough to start a run.
 */
import type { ChannelInput } from '../../shared/api/channels';
import { startRunSchema } from '../../shared/api/schemas';
import { DEMO_DATASET_ID } from '../../shared/api/types';
import { issuesByField } from '../../shared/runs/request';
import { FORM_DEMO_COUNT, FORM_MESSAGE, formMessage, typedNumber, type FormMessageKey } from './runForms';

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

/** The form's messages: one per wrong field, and one about the form as a whole (see FORM_MESSAGE). */
export type NewRunErrors = Partial<Record<NewRunField | FormMessageKey, string>>;

/** The form checked: the request to send, or its messages. */
export type NewRunCheck = { ok: true; request: ChannelInput<'startRun'> } | { ok: false; errors: NewRunErrors };

/** A fresh form: the smallest preset on a small demo set (see FORM_DEMO_COUNT), a short run. */
export function emptyNewRunForm(preset = 'tiny'): NewRunForm {
  return { preset, datasetId: DEMO_DATASET_ID, epochs: '1', batch: '8', demoCount: String(FORM_DEMO_COUNT), name: '' };
}

/** Form fields by the path of the request field they set. */
const FIELD_OF_PATH: Readonly<Record<string, NewRunField>> = {
  'design.name': 'preset',
  datasetId: 'datasetId',
  demoCount: 'demoCount',
  name: 'name',
  'config.epochs': 'epochs',
  'config.batch': 'batch',
};

/**
 * Checks the form by parsing its request with the `startRun` channel's schema, so its limits and
 * messages are the lab's; the lab checks again and its message is shown if it still refuses.
 */
export function checkNewRunForm(f: NewRunForm): NewRunCheck {
  const errors: NewRunErrors = {};
  if (f.preset.trim() === '') errors.preset = 'Pick a design preset';
  if (f.datasetId.trim() === '') errors.datasetId = 'Pick a dataset';
  const name = f.name.trim();
  const request = {
    design: { kind: 'preset' as const, name: f.preset.trim() },
    datasetId: f.datasetId,
    ...(f.datasetId === DEMO_DATASET_ID ? { demoCount: typedNumber(f.demoCount) } : {}),
    ...(name === '' ? {} : { name }),
    config: { epochs: typedNumber(f.epochs), batch: typedNumber(f.batch) },
  };
  const r = startRunSchema.safeParse(request);
  if (!r.success) {
    const byField = issuesByField<NewRunField | FormMessageKey>(r.error.issues, (path) => FIELD_OF_PATH[path.map(String).join('.')], FORM_MESSAGE);
    for (const [k, m] of Object.entries(byField) as [NewRunField | FormMessageKey, string][]) errors[k] ??= formMessage(m);
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  // The request as typed (not the parsed one): settings it leaves out take the lab's defaults there.
  return { ok: true, request };
}
