/**
 * A trainer killed with SIGKILL mid-run: the lab stays up, marks the run interrupted with the reason,
 * keeps what the run had committed, and resumes it from its checkpoint to the end. A trainer that
 * dies of a real out-of-memory abort: the run's failure reason carries what V8 wrote to its stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpTransport } from '../../shared/api/client';
import type { TrainerMessage } from '../../shared/training/protocol';
import { forkLauncher, setTrainerLauncher } from '../../src-main/lab/trainerHost';
import { heapLimitedLauncher } from '../reliability/launchers';
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

  it("puts the end of a crashed trainer's stderr into the run's failure reason (a real V8 heap limit)", async () => {
    const api = client.api;
    // 32 MiB of heap: the real trainer aborts with V8's out-of-memory report on its stderr.
    setTrainerLauncher(heapLimitedLauncher(32));
    try {
      const run = await api.startRun({ design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 24, config: { epochs: 1, batch: 8, backend: 'wasm' } });
      const ended = await waitFor('the crashed run to end', async () => {
        const r = await api.getRun({ id: run.id });
        return r.status === 'interrupted' || r.status === 'failed' || r.status === 'done' ? r : undefined;
      });
      expect(ended.status).toBe('interrupted');
      expect(ended.statusReason).toMatch(/^the trainer process aborted \(SIGABRT; possibly out of memory\); last stderr: /);
      expect(ended.statusReason).toContain('JavaScript heap out of memory');
      // Native stack frames are left out of the reason.
      expect(ended.statusReason).not.toMatch(/\d+: 0x[0-9a-f]+/);
      const events = await api.getRunEvents({ id: run.id });
      expect(events.at(-1)?.message).toBe(ended.statusReason);
    } finally {
      setTrainerLauncher(forkLauncher);
    }
  });
});
