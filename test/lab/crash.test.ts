/**
 * A trainer killed with SIGKILL mid-run: the lab stays up, marks the run interrupted with the reason,
 * keeps what the run had committed, and resumes it from its checkpoint to the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpTransport } from '../../shared/api/client';
import type { TrainerMessage } from '../../shared/training/protocol';
import { nodeClient, serveLab, waitFor, type ServedLab } from './helpers';

describe('a trainer that dies', () => {
  let lab: ServedLab;
  let client: HttpTransport;
  beforeAll(async () => {
    lab = await serveLab('crash');
    client = nodeClient(lab.server);
  });
  afterAll(async () => {
    client.dispose();
    await lab.close();
  });

  it('is recorded as interrupted with the reason, and the lab goes on', async () => {
    const api = client.api;
    const run = await api.startRun({
      design: { kind: 'preset', name: 'tiny' },
      datasetId: 'demo',
      demoCount: 24,
      config: { epochs: 3, batch: 8, backend: 'auto' },
    });
    const messages: TrainerMessage[] = [];
    api.onRunEvent({ runId: run.id }, (m) => messages.push(m));
    await client.whenSubscribed();
    await waitFor('the first finished epoch', () => messages.find((m) => m.type === 'epoch'));

    const record = await api.getRun({ id: run.id });
    const queue = await api.getQueue();
    expect(record.status).toBe('running');
    expect(typeof record.pid).toBe('number');
    expect(queue.active).toEqual({ runId: run.id, pid: record.pid });
    await expect(api.deleteRun({ id: run.id })).rejects.toMatchObject({ code: 'conflict' });

    process.kill(record.pid as number, 'SIGKILL');
    const ended = await waitFor('the ended message', () => messages.find((m) => m.type === 'ended'));
    expect(ended).toMatchObject({ status: 'interrupted' });

    const after = await api.getRun({ id: run.id });
    expect(after.status).toBe('interrupted');
    expect(after.statusReason).toMatch(/SIGKILL/);
    expect(after.pid).toBeUndefined();
    expect(after.epochsDone).toBeGreaterThanOrEqual(1);
    expect(after.lastCheckpoint).not.toBeNull();
    expect(await api.getEpochMetrics({ id: run.id })).toHaveLength(after.epochsDone);
    const events = await api.getRunEvents({ id: run.id });
    expect(events.at(-1)).toMatchObject({ type: 'interrupted' });
    expect(events.at(-1)?.message).toMatch(/SIGKILL/);
    expect((await api.getQueue()).active).toBeNull();
    // The server still answers.
    expect((await api.listPresets()).length).toBeGreaterThan(0);

    // Resume continues from the checkpoint in a new trainer, to the end.
    const resumed = await api.resumeRun({ id: run.id });
    expect(['queued', 'running']).toContain(resumed.status);
    const done = await waitFor('the second ended message', () => messages.filter((m) => m.type === 'ended')[1]);
    expect(done).toMatchObject({ status: 'done' });
    const resumedEvent = messages.find((m) => m.type === 'event' && m.event.type === 'resumed');
    expect(resumedEvent?.type === 'event' ? resumedEvent.event.epoch : null).toBe(after.epochsDone);
    const final = await api.getRun({ id: run.id });
    expect(final.status).toBe('done');
    expect(final.epochsDone).toBe(3);
    expect((await api.getEpochMetrics({ id: run.id })).map((e) => e.epoch)).toEqual([0, 1, 2]);
  });
});
