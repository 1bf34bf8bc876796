/**
 * Type-level proof that the main handlers and the browser transport (the shared client that
 * src-renderer/api/httpTransport.ts binds to the browser) serve every channel of the table, with the
 * table's parameter and result types; plus the same check at runtime.
 */
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { Architecture } from '../../shared/arch/types';
import type { CallName, ListenName, MisnamedCalls, MisnamedStreams, StrataApi, Unsubscribe } from '../../shared/api/channels';
import { CHANNEL_NAMES, CHANNELS } from '../../shared/api/channels';
import type { RunRecord } from '../../shared/runs/types';
import type { TrainerMessage } from '../../shared/training/protocol';
import { createHandlers, fromService, SERVICE_CHANNELS, type ServiceChannel, type Serving } from '../../src-main/lab/handlers';
import { LabService } from '../../src-main/lab/service';
import { SHELL_CHANNELS } from '../../src-main/lab/shell';
import { createApiClient } from '../../shared/api/client';
import { openLab, scratchDir } from '../lab/helpers';

type Handlers = ReturnType<typeof createHandlers>;
type TransportApi = ReturnType<typeof createApiClient>['api'];

describe('channel coverage', () => {
  it('main handlers serve every channel and nothing else', () => {
    type Missing = Exclude<keyof typeof CHANNELS, keyof Handlers>;
    type Extra = Exclude<keyof Handlers, keyof typeof CHANNELS>;
    expectTypeOf<Missing>().toEqualTypeOf<never>();
    expectTypeOf<Extra>().toEqualTypeOf<never>();
  });

  it('the browser transport implements every channel as StrataApi', () => {
    type Missing = Exclude<keyof typeof CHANNELS, keyof TransportApi>;
    expectTypeOf<Missing>().toEqualTypeOf<never>();
    expectTypeOf<TransportApi>().toEqualTypeOf<StrataApi>();
  });

  it('derives the handlers from the service: each channel is the method of its name', async () => {
    // Type level: the lab service has a method of every non-shell channel's name, typed as its handler.
    expectTypeOf<LabService>().toExtend<Serving<ServiceChannel>>();
    expect([...SERVICE_CHANNELS, ...SHELL_CHANNELS].sort()).toEqual([...CHANNEL_NAMES].sort());
    const proto = LabService.prototype as unknown as Record<string, unknown>;
    for (const name of SERVICE_CHANNELS) expect(typeof proto[name], name).toBe('function');

    // A call gets the checked parameters object; a stream the parameters and its emitter; `this` is the service.
    const seen: unknown[][] = [];
    const service = {
      tag: 'svc',
      getRun(this: { tag: string }, p: { id: string }) {
        seen.push([this.tag, 'getRun', p]);
        return { id: p.id } as unknown as RunRecord;
      },
      onRunEvent(this: { tag: string }, p: { runId: string }, emit: (e: TrainerMessage) => void) {
        seen.push([this.tag, 'onRunEvent', p]);
        emit({ type: 'status', runId: p.runId, status: 'running' });
        return () => seen.push(['undone']);
      },
    };
    const h = fromService(service, ['getRun', 'onRunEvent'] as const);
    expect(Object.keys(h).sort()).toEqual(['getRun', 'onRunEvent']);
    expect(await h.getRun({ id: 'r1' })).toEqual({ id: 'r1' });
    const events: TrainerMessage[] = [];
    h.onRunEvent({ runId: 'r2' }, (e) => events.push(e))();
    expect(seen).toEqual([['svc', 'getRun', { id: 'r1' }], ['svc', 'onRunEvent', { runId: 'r2' }], ['undone']]);
    expect(events).toEqual([{ type: 'status', runId: 'r2', status: 'running' }]);
    // A service missing a method is refused when the handlers are built, not when the channel is first called.
    expect(() => fromService({} as unknown as Serving<'getRun'>, ['getRun'])).toThrow(/getRun: the service has no method/);
  });

  it('streams are named onXxx and calls are not', () => {
    expectTypeOf<MisnamedStreams>().toEqualTypeOf<never>();
    expectTypeOf<MisnamedCalls>().toEqualTypeOf<never>();
    expectTypeOf<Extract<CallName, ListenName>>().toEqualTypeOf<never>();
  });

  it('derives signatures from the table', () => {
    expectTypeOf<StrataApi['getRun']>().parameters.toEqualTypeOf<[{ id: string }]>();
    expectTypeOf<StrataApi['getRun']>().returns.toEqualTypeOf<Promise<RunRecord>>();
    expectTypeOf<StrataApi['getPreset']>().returns.toEqualTypeOf<Promise<Architecture>>();
    // Parameters that all have defaults may be left out.
    expectTypeOf<StrataApi['listRuns']>().toBeCallableWith();
    expectTypeOf<StrataApi['onRunEvent']>().parameters.toEqualTypeOf<[{ runId: string }, (event: TrainerMessage) => void]>();
    expectTypeOf<StrataApi['onRunEvent']>().returns.toEqualTypeOf<Unsubscribe>();
  });

  it('has a function for every channel at runtime, of the channel kind', async () => {
    const home = scratchDir('coverage');
    const lab = openLab(home);
    afterAll(() => lab.close());
    const handlers: Record<string, unknown> = createHandlers(lab);
    const transport = createApiClient({
      origin: 'http://127.0.0.1:9',
      token: 't',
      fetch: () => Promise.reject(new Error('not used')),
      openSocket: () => {
        throw new Error('not used');
      },
      setTimer: () => null,
      clearTimer: () => undefined,
    });
    const api: Record<string, unknown> = transport.api;
    expect(Object.keys(handlers).sort()).toEqual([...CHANNEL_NAMES].sort());
    expect(Object.keys(api).sort()).toEqual([...CHANNEL_NAMES].sort());
    for (const name of CHANNEL_NAMES) {
      expect(typeof handlers[name], name).toBe('function');
      // Streams take (input, listener), calls (input).
      const fn = api[name] as (...a: unknown[]) => unknown;
      expect(fn.length, name).toBe(CHANNELS[name].kind === 'listen' ? 2 : 1);
    }
    transport.dispose();
  });
});
