/**
 * The load of a chaos run: profiles playing titles, heartbeats through the edge at a steady
 * rate (open loop, bounded in flight), and sampled reads of the resume position through the edge.
 */
import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { importUserTokenSigner, signUserToken } from '../../core/tokens.ts';
import { keyOf, type Key, type LatencySample, type Ledger, type SentHeartbeat } from './verdict.ts';

export interface PlayableTitle {
  id: string;
  durationSeconds: number;
}

interface Stream {
  key: Key;
  profile: Profile;
  title: PlayableTitle;
  /** Seconds the position moves per heartbeat: some streams reach the end (a completion) during the run. */
  step: number;
  beats: number;
  lastEventTime: number;
}

export interface Profile {
  accountId: string;
  profileId: string;
  token: string;
  devices: string[];
}

export interface LoadOptions {
  profiles: number;
  titlesPerProfile: number;
  /** Fraction of profiles that play on two devices (the same titles, taking turns). */
  twoDevices: number;
  /** Heartbeats per second, all profiles together. */
  rate: number;
  /** Heartbeats a stream takes to reach the end of its title, at the fastest. */
  minBeatsToEnd: number;
  maxInFlight: number;
}

/** Profile tokens signed with the run's key, as the origin would mint them (no profile rows needed). */
export async function makeProfiles(
  signingJwk: JWK & { kid: string },
  settings: { issuer: string; audience: string },
  options: Pick<LoadOptions, 'profiles' | 'twoDevices'>,
): Promise<Profile[]> {
  const signer = await importUserTokenSigner(signingJwk);
  return Promise.all(
    Array.from({ length: options.profiles }, async (_, i) => {
      const accountId = randomUUID();
      const profileId = randomUUID();
      const { token } = await signUserToken(
        { sub: accountId, scope: 'profile', pid: profileId, mat: 100, plan: 'premium', since: 1 },
        signer,
        settings,
      );
      const devices =
        i < Math.round(options.profiles * options.twoDevices) ? ['chaos-tv', 'chaos-phone'] : ['chaos-tv'];
      return { accountId, profileId, token, devices };
    }),
  );
}

export class Load {
  readonly latencies: LatencySample[] = [];
  skipped = 0;
  inFlight = 0;
  #streams: Stream[] = [];
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #readTimer: NodeJS.Timeout | undefined;
  #pending = new Set<Promise<void>>();
  #edgeUrl: string;
  /** What is happening now (a fault's kind, or `none`): each latency sample is labelled with it. */
  phase = 'none';

  constructor(
    edgeUrl: string,
    readonly ledger: Ledger,
    profiles: Profile[],
    titles: PlayableTitle[],
    readonly options: LoadOptions,
  ) {
    this.#edgeUrl = edgeUrl;
    for (const profile of profiles) {
      const picked = shuffle([...titles]).slice(0, options.titlesPerProfile);
      for (const title of picked) {
        const beatsToEnd = options.minBeatsToEnd * (1 + 3 * Math.random());
        this.#streams.push({
          key: keyOf(profile.profileId, title.id),
          profile,
          title,
          step: title.durationSeconds / beatsToEnd,
          beats: 0,
          lastEventTime: 0,
        });
      }
    }
    shuffle(this.#streams);
  }

  get streams(): number {
    return this.#streams.length;
  }

  start(): void {
    const tickMs = 100;
    let carry = 0;
    this.#timer = setInterval(() => {
      carry += (this.options.rate * tickMs) / 1000;
      while (carry >= 1) {
        carry -= 1;
        this.#beat();
      }
    }, tickMs);
    this.#readTimer = setInterval(() => this.#track(this.#read()), 250);
  }

  /** Stops sending and waits (at most 30 s: a wedged dev proxy may never answer) for what is in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#readTimer);
    await Promise.race([Promise.all([...this.#pending]), new Promise((r) => setTimeout(r, 30_000))]);
  }

  #track(p: Promise<void>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  #beat(): void {
    if (this.inFlight >= this.options.maxInFlight) {
      this.skipped += 1;
      return;
    }
    const stream = this.#streams[this.#next]!;
    this.#next = (this.#next + 1) % this.#streams.length;
    stream.beats += 1;
    // Strictly increasing per (profile, title), and a second in the past, so the edge (which dates
    // a heartbeat no later than its arrival) stores exactly this event time.
    const eventTime = Math.max(stream.lastEventTime + 1, Date.now() - 1000);
    stream.lastEventTime = eventTime;
    const devices = stream.profile.devices;
    const hb: SentHeartbeat = {
      profileId: stream.profile.profileId,
      titleId: stream.title.id,
      deviceId: devices[stream.beats % devices.length]!,
      positionSeconds: Math.min(stream.title.durationSeconds, Math.round(stream.beats * stream.step * 1000) / 1000),
      eventTime,
    };
    this.ledger.recordSent(hb);
    this.inFlight += 1;
    const phase = this.phase;
    const started = performance.now();
    this.#track(
      this.#send(stream.profile, hb).then((outcome) => {
        this.inFlight -= 1;
        this.latencies.push({ phase, ms: performance.now() - started });
        this.ledger.recordOutcome(hb, outcome);
      }),
    );
  }

  async #send(profile: Profile, hb: SentHeartbeat) {
    try {
      const res = await fetch(`${this.#edgeUrl}/v1/progress`, {
        method: 'POST',
        headers: { authorization: `Bearer ${profile.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          titleId: hb.titleId,
          positionSeconds: hb.positionSeconds,
          durationSeconds: this.#durationOf(hb.titleId),
          eventTime: hb.eventTime,
          deviceId: hb.deviceId,
        }),
        signal: AbortSignal.timeout(20_000),
      });
      if (res.status === 202) {
        void res.body?.cancel().catch(() => undefined);
        return { acknowledged: true } as const;
      }
      return { acknowledged: false, reason: await refusal(res) } as const;
    } catch (err) {
      const name = (err as Error).name;
      return {
        acknowledged: false,
        reason: name === 'TimeoutError' ? 'timeout (20 s)' : 'network (edge down)',
      } as const;
    }
  }

  #durations = new Map<string, number>();
  #durationOf(titleId: string): number {
    if (this.#durations.size === 0)
      for (const s of this.#streams) this.#durations.set(s.title.id, s.title.durationSeconds);
    return this.#durations.get(titleId)!;
  }

  /** One resume-position read through the edge of a stream that has an acknowledged heartbeat. */
  async #read(): Promise<void> {
    const stream = this.#streams[Math.floor(Math.random() * this.#streams.length)]!;
    const ackedBefore = this.ledger.ackedEventTime(stream.key);
    if (ackedBefore === undefined) return;
    const seenBefore = this.ledger.seenState(stream.key, 'edge');
    try {
      const res = await fetch(`${this.#edgeUrl}/v1/progress/${stream.title.id}`, {
        headers: { authorization: `Bearer ${stream.profile.token}` },
        signal: AbortSignal.timeout(20_000),
      });
      if (res.status === 404) {
        await res.body?.cancel();
        // Nothing shown for a title whose heartbeat was acknowledged before the read: as far back as it goes.
        this.ledger.recordRead(stream.key, 'edge', { eventTime: 0, tie: 0, positionSeconds: 0 }, Date.now(), {
          ackedBefore,
          seenBefore,
        });
        return;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        return;
      }
      const view = (await res.json()) as { positionSeconds: number; lastWatchedAt: string; deviceId: string };
      this.ledger.recordRead(
        stream.key,
        'edge',
        { eventTime: Date.parse(view.lastWatchedAt), tie: 0, positionSeconds: view.positionSeconds },
        Date.now(),
        { ackedBefore, seenBefore },
      );
    } catch {
      // the edge is down (a fault): nothing read
    }
  }
}

/** `http_503_unavailable`: the status and the problem's code. */
async function refusal(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: unknown };
    if (typeof body.code === 'string') return `http_${res.status}_${body.code}`;
  } catch {
    // not a problem document: say what it was
  }
  return `http_${res.status} "${text.replace(/\s+/g, ' ').slice(0, 60)}"`;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
