/**
 * StreamLeases: one Durable Object per account, holding which of its devices stream right now
 * (core/streams.ts has the rules). Every start, heartbeat and stop of the account's players passes
 * through this one object, so a limit holds exactly however many edges start streams at once: each
 * call changes the in-memory state synchronously and the input gate keeps the next call out until
 * the write is stored.
 *
 * The whole state (a handful of leases and recently ended streams) is one storage value, written
 * on every change, so an evicted or restarted object holds the same leases. An alarm at the next
 * lapse frees slots nobody asks about; every call also prunes lazily.
 */
import { DurableObject } from 'cloudflare:workers';
import {
  deviceFor,
  emptyLeaseState,
  nextLapse,
  prune,
  renew,
  start,
  stop,
  type LeaseState,
  type RenewResult,
  type StopResult,
} from '../../../core/streams.ts';
import type { LeaseList, NamedStartAnswer, StartAnswer, StartCall } from './rpc.ts';

const STATE_KEY = 'state';

interface Stored extends LeaseState {
  /** The streams the account's plan allows, as the last start said. */
  limit: number | null;
}

export class StreamLeases extends DurableObject<Env> {
  #status: 'loading' | 'ready' = 'loading';
  #state: Stored = { ...emptyLeaseState(), limit: null };
  /** The alarm's clock (calls take theirs as an argument); tests move it instead of waiting. */
  clock: () => number = Date.now;
  /** When the alarm is set (loaded with the state), or null. */
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(() => this.#load());
  }

  async #load(): Promise<void> {
    const stored = await this.ctx.storage.get<Stored>(STATE_KEY);
    if (stored) this.#state = stored;
    this.#alarmAt = await this.ctx.storage.getAlarm();
    this.#status = 'ready';
  }

  /** Takes (or keeps) the device's lease, or answers the live ones when the account is at its limit. */
  async start(call: StartCall, now: number = Date.now()): Promise<StartAnswer> {
    this.#ready();
    const result = start(this.#state, { ...call, newStreamId: crypto.randomUUID() }, now);
    await this.#save({ ...result.state, limit: call.limit });
    return result.ok
      ? { ok: true, streamId: result.lease.streamId }
      : { ok: false, active: result.active, limit: call.limit };
  }

  /**
   * A start by profile and title (no device named): the device of the profile's lease on that
   * title, else of its ended stream there (answered `ended`), else the profile; limited by the
   * account's remembered plan limit, or 1 before any start.
   */
  async startNamed(profileId: string, titleId: string, now: number = Date.now()): Promise<NamedStartAnswer> {
    this.#ready();
    const device = deviceFor(this.#state, profileId, titleId, now);
    const held = prune(this.#state, now);
    const isLeased = held.leases.some((l) => l.device === device);
    if (!isLeased && held.ended.some((e) => e.device === device)) return { ok: false, ended: true };
    return this.start({ device, profileId, titleId, limit: this.#state.limit ?? 1 }, now);
  }

  /** A heartbeat: renews the device's lease (`none` without one, `ended` if ended elsewhere). */
  async renew(device: string, titleId: string, now: number = Date.now()): Promise<RenewResult['outcome']> {
    this.#ready();
    const result = renew(this.#state, device, titleId, now);
    if (result.outcome === 'renewed' || result.state.leases.length !== this.#state.leases.length) {
      await this.#save({ ...result.state, limit: this.#state.limit });
    }
    return result.outcome;
  }

  /** Stops a stream: released when `byDevice` is its own, ended (its player told so) otherwise. */
  async stop(streamId: string, byDevice: string, now: number = Date.now()): Promise<StopResult['outcome']> {
    this.#ready();
    const result = stop(this.#state, streamId, byDevice, now);
    if (result.outcome !== 'not_found') await this.#save({ ...result.state, limit: this.#state.limit });
    return result.outcome;
  }

  /** The live leases. */
  list(now: number = Date.now()): LeaseList {
    this.#ready();
    return { leases: prune(this.#state, now).leases, limit: this.#state.limit };
  }

  /** Frees lapsed slots nobody asked about, and waits for the next lapse. */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    await this.#save({ ...prune(this.#state, this.clock()), limit: this.#state.limit });
  }

  #ready(): void {
    if (this.#status !== 'ready') throw new Error('StreamLeases is not loaded');
  }

  async #save(next: Stored): Promise<void> {
    this.#state = next;
    // Not awaited: the output gate holds the answer until the write is stored.
    void this.ctx.storage.put(STATE_KEY, next);
    const lapse = nextLapse(next);
    // The alarm only ever moves earlier here: one that fires after a renewal finds nothing lapsed
    // and moves itself to the next lapse, which saves a storage call on every heartbeat.
    if (lapse === null) {
      if (this.#alarmAt !== null) void this.ctx.storage.deleteAlarm();
      this.#alarmAt = null;
    } else if (this.#alarmAt === null || lapse < this.#alarmAt || this.#alarmAt <= this.clock()) {
      void this.ctx.storage.setAlarm(lapse);
      this.#alarmAt = lapse;
    }
  }
}
