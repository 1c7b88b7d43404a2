/**
 * The chaos run's bookkeeping and verdict, pure: what was sent and acknowledged per (profile,
 * title), what reads observed, and how the stored final states, the event log and the watch
 * history compare with it. scripts/chaos.ts feeds it; the unit tests beside it drive it directly.
 *
 * The driver gives every heartbeat of one (profile, title) its own event time, increasing in the
 * order they are sent, and a position that never decreases with it. So by the progress rule
 * (core/progress.ts: the later event time wins) the state a key must end in is its acknowledged
 * heartbeat with the latest event time, or a later one that was sent but whose answer was lost.
 */

/** `${profileId}:${titleId}`: one row of viewing_progress. */
export type Key = string;
export const keyOf = (profileId: string, titleId: string): Key => `${profileId}:${titleId}`;

export interface SentHeartbeat {
  profileId: string;
  titleId: string;
  deviceId: string;
  positionSeconds: number;
  eventTime: number;
}

/** How a heartbeat ended: 202, or why not (`http_503_unavailable`, `network`, `timeout`, …). */
export type Outcome = { acknowledged: true } | { acknowledged: false; reason: string };

/** A state as stored (Cassandra) or read back (the edge): enough to order and compare it. */
export interface ObservedState {
  eventTime: number;
  tie: number;
  positionSeconds: number;
  deviceId?: string;
}

export interface StoredState extends ObservedState {
  completed: boolean;
}

interface KeyLedger {
  profileId: string;
  titleId: string;
  /** Every event time sent, with its position: a stored state must be one of them. */
  sent: Map<number, SentHeartbeat>;
  latestAcked: SentHeartbeat | undefined;
  /** The latest state any read has shown for this key, per source. */
  seen: Map<string, ObservedState>;
}

export interface Regression {
  key: Key;
  source: string;
  /** `earlier_read`: older than a state an earlier read showed; `acknowledged`: older than a 202 received before the read. */
  against: 'earlier_read' | 'acknowledged';
  seen: ObservedState;
  before: ObservedState;
  at: number;
}

const older = (a: Pick<ObservedState, 'eventTime' | 'tie'>, b: Pick<ObservedState, 'eventTime' | 'tie'>) =>
  a.eventTime < b.eventTime || (a.eventTime === b.eventTime && a.tie < b.tie);

/** Everything the run learns while it runs. */
export class Ledger {
  readonly keys = new Map<Key, KeyLedger>();
  sent = 0;
  acknowledged = 0;
  readonly refused = new Map<string, number>();
  readonly regressions: Regression[] = [];
  reads = 0;

  #key(profileId: string, titleId: string): KeyLedger {
    const key = keyOf(profileId, titleId);
    let ledger = this.keys.get(key);
    if (!ledger) {
      ledger = { profileId, titleId, sent: new Map(), latestAcked: undefined, seen: new Map() };
      this.keys.set(key, ledger);
    }
    return ledger;
  }

  /** Call before the request goes out. */
  recordSent(hb: SentHeartbeat): void {
    const ledger = this.#key(hb.profileId, hb.titleId);
    if (ledger.sent.has(hb.eventTime)) throw new Error(`event time ${hb.eventTime} sent twice for one key`);
    ledger.sent.set(hb.eventTime, hb);
    this.sent += 1;
  }

  recordOutcome(hb: SentHeartbeat, outcome: Outcome): void {
    if (!outcome.acknowledged) {
      this.refused.set(outcome.reason, (this.refused.get(outcome.reason) ?? 0) + 1);
      return;
    }
    this.acknowledged += 1;
    const ledger = this.#key(hb.profileId, hb.titleId);
    if (!ledger.latestAcked || hb.eventTime > ledger.latestAcked.eventTime) ledger.latestAcked = hb;
  }

  /** The latest acknowledged event time of a key now (to pass to `recordRead` for a read sent now). */
  ackedEventTime(key: Key): number | undefined {
    return this.keys.get(key)?.latestAcked?.eventTime;
  }

  /** What reads of `source` had shown of a key so far: take it when a read is sent, for `recordRead`. */
  seenState(key: Key, source: string): ObservedState | null {
    return this.keys.get(key)?.seen.get(source) ?? null;
  }

  /**
   * A state a read returned (`source`: `edge` for GET /v1/progress, `cassandra` for the table).
   * `ackedBefore`: the key's latest acknowledged event time when the read was sent; an edge read
   * must show at least that (the buffer merges what it has not flushed yet). `seenBefore`: what
   * earlier reads had shown when this one was sent (`seenState`). A read is only compared with
   * reads that had finished before it was sent: two reads in flight at once may finish in either
   * order, and the one sent first may see less. Without it, with every read recorded so far.
   */
  recordRead(
    key: Key,
    source: string,
    seen: ObservedState,
    at: number,
    { ackedBefore, seenBefore }: { ackedBefore?: number | undefined; seenBefore?: ObservedState | null } = {},
  ): void {
    const ledger = this.keys.get(key);
    if (!ledger) return;
    this.reads += 1;
    const before = seenBefore === undefined ? ledger.seen.get(source) : (seenBefore ?? undefined);
    if (before && older(seen, before)) {
      this.regressions.push({ key, source, against: 'earlier_read', seen, before, at });
    } else if (before && seen.eventTime === before.eventTime && seen.positionSeconds < before.positionSeconds) {
      this.regressions.push({ key, source, against: 'earlier_read', seen, before, at });
    }
    if (ackedBefore !== undefined && seen.eventTime < ackedBefore) {
      const acked = ledger.sent.get(ackedBefore);
      this.regressions.push({
        key,
        source,
        against: 'acknowledged',
        seen,
        before: { eventTime: ackedBefore, tie: 0, positionSeconds: acked?.positionSeconds ?? Number.NaN },
        at,
      });
    }
    const latest = ledger.seen.get(source);
    if (!latest || older(latest, seen)) ledger.seen.set(source, seen);
  }

  /** Keys whose latest acknowledged heartbeat the stored state does not yet hold (for drain timing). */
  undrained(stored: ReadonlyMap<Key, StoredState>, targets: ReadonlyMap<Key, number>): Key[] {
    const out: Key[] = [];
    for (const [key, eventTime] of targets) {
      const state = stored.get(key);
      if (!state || state.eventTime < eventTime) out.push(key);
    }
    return out;
  }

  /** The latest acknowledged event time of every key (a drain target). */
  ackedTargets(keys?: Iterable<Key>): Map<Key, number> {
    const out = new Map<Key, number>();
    for (const key of keys ?? this.keys.keys()) {
      const acked = this.keys.get(key)?.latestAcked;
      if (acked) out.set(key, acked.eventTime);
    }
    return out;
  }

  profiles(): string[] {
    return [...new Set([...this.keys.values()].map((k) => k.profileId))];
  }
}

/** What a key's stored state says about the run, by the progress rule. */
export type FinalFinding =
  | 'ok'
  /** The latest acknowledged heartbeat (or something later) is not stored: an acknowledged heartbeat lost. */
  | 'lost'
  /** Stored at the acknowledged event time but with another position or device. */
  | 'corrupt'
  /** Stored a state nobody sent. */
  | 'unknown'
  /** Stored a heartbeat sent later than the acknowledged one, whose answer never arrived. */
  | 'ok_unacknowledged';

export function judgeKey(ledger: Ledger, key: Key, stored: StoredState | undefined): FinalFinding {
  const k = ledger.keys.get(key);
  if (!k) return stored ? 'unknown' : 'ok';
  const acked = k.latestAcked;
  if (!stored) return acked ? 'lost' : 'ok';
  const sent = k.sent.get(stored.eventTime);
  if (!sent) return acked && stored.eventTime < acked.eventTime ? 'lost' : 'unknown';
  if (sent.positionSeconds !== stored.positionSeconds || (stored.deviceId && stored.deviceId !== sent.deviceId))
    return 'corrupt';
  if (!acked) return 'ok_unacknowledged';
  if (stored.eventTime < acked.eventTime) return 'lost';
  return stored.eventTime === acked.eventTime ? 'ok' : 'ok_unacknowledged';
}

/** One record of the viewing-events topic, as far as the verdict needs it. */
export interface ViewingEvent {
  eventId: string;
  profileId: string;
  titleId: string;
  eventTime: number;
  tie: number;
  completed: boolean;
}

/** The event id the origin gives a stored state (origin/src/routes/progress.ts progressEventId). */
export const eventIdOf = (profileId: string, titleId: string, s: Pick<ObservedState, 'eventTime' | 'tie'>) =>
  `progress:${profileId}:${titleId}:${s.eventTime}:${s.tie}`;

export interface Verdict {
  keys: number;
  findings: Record<FinalFinding, number>;
  lostKeys: Key[];
  /** Final states without their event in the topic. */
  missingEvents: Key[];
  events: number;
  /** Records whose event id an earlier record already had (at-least-once redeliveries). */
  duplicateEvents: number;
  completedKeys: number;
  /** Completed keys whose history has no row / more than one row; keys with history though not completed. */
  historyMissing: Key[];
  historyDuplicated: Key[];
  historyUnexpected: Key[];
  /** Completion events beyond the first per completed key (duplicates and later completed states) that history absorbed. */
  completionEventsAbsorbed: number;
}

/**
 * The verdict once everything has drained: `stored` is every key's row in viewing_progress,
 * `events` every record of the topic, `history` the number of watch_history rows per key.
 */
export function verdict(
  ledger: Ledger,
  stored: ReadonlyMap<Key, StoredState>,
  events: readonly ViewingEvent[],
  history: ReadonlyMap<Key, number>,
): Verdict {
  const findings: Record<FinalFinding, number> = { ok: 0, lost: 0, corrupt: 0, unknown: 0, ok_unacknowledged: 0 };
  const lostKeys: Key[] = [];
  const missingEvents: Key[] = [];
  const seenIds = new Set<string>();
  let duplicateEvents = 0;
  const completionEvents = new Map<Key, number>();
  for (const e of events) {
    if (seenIds.has(e.eventId)) duplicateEvents += 1;
    seenIds.add(e.eventId);
    if (e.completed) {
      const key = keyOf(e.profileId, e.titleId);
      completionEvents.set(key, (completionEvents.get(key) ?? 0) + 1);
    }
  }
  const historyMissing: Key[] = [];
  const historyDuplicated: Key[] = [];
  const historyUnexpected: Key[] = [];
  let completedKeys = 0;
  let absorbed = 0;
  const allKeys = new Set([...ledger.keys.keys(), ...stored.keys(), ...history.keys()]);
  for (const key of allKeys) {
    const state = stored.get(key);
    const finding = judgeKey(ledger, key, state);
    findings[finding] += 1;
    if (finding === 'lost') lostKeys.push(key);
    const k = ledger.keys.get(key);
    if (state && k && !seenIds.has(eventIdOf(k.profileId, k.titleId, state))) missingEvents.push(key);
    const rows = history.get(key) ?? 0;
    if (state?.completed) {
      completedKeys += 1;
      if (rows === 0) historyMissing.push(key);
      if (rows > 1) historyDuplicated.push(key);
      absorbed += Math.max(0, (completionEvents.get(key) ?? 0) - rows);
    } else if (rows > 0) historyUnexpected.push(key);
  }
  return {
    keys: allKeys.size,
    findings,
    lostKeys,
    missingEvents,
    events: events.length,
    duplicateEvents,
    completedKeys,
    historyMissing,
    historyDuplicated,
    historyUnexpected,
    completionEventsAbsorbed: absorbed,
  };
}

/** The q-quantile (0–1) of some values, nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** One fault as it happened: when it began, when the system was whole again, when its backlog had drained. */
export interface FaultRecord {
  kind: string;
  detail: string;
  startedAt: number;
  recoveredAt: number;
  /** null: not drained within the drain timeout. */
  drainedAt: number | null;
}

/** A heartbeat's latency and the fault (or `none`) active when it was sent. */
export interface LatencySample {
  phase: string;
  ms: number;
}

export interface ProxyCounts {
  /** Flush requests the edge sent to the origin, and how each ended as the edge saw it. */
  flushes: Record<string, number>;
  other: Record<string, number>;
}

export interface ReportInput {
  mode: string;
  durationMs: number;
  ledger: Ledger;
  verdict: Verdict;
  faults: FaultRecord[];
  latencies: LatencySample[];
  proxy: ProxyCounts;
  skipped: number;
}

const fmtMs = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms)} ms` : 'n/a');
const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sortedEntries = (m: ReadonlyMap<string, number> | Record<string, number>) =>
  (m instanceof Map ? [...m] : Object.entries(m)).sort((a, b) => b[1] - a[1]);

/** Lost heartbeats: keys whose acknowledged state is not stored (goal 0). */
export const lostCount = (v: Verdict) => v.findings.lost + v.findings.corrupt;

/** A fault that could not be injected or recovered from: the run did not test what it says. */
export const failedFaults = (faults: readonly FaultRecord[]) => faults.filter((f) => f.detail.startsWith('FAILED'));

/** Whether the run passed: nothing acknowledged lost, no read went backwards, every fault run. */
export function passed(input: Pick<ReportInput, 'ledger' | 'verdict' | 'faults'>): boolean {
  return (
    lostCount(input.verdict) === 0 && input.ledger.regressions.length === 0 && failedFaults(input.faults).length === 0
  );
}

/** The report as lines of text. */
export function formatReport(input: ReportInput): string[] {
  const { ledger, verdict: v } = input;
  const lines: string[] = [];
  const refused = [...ledger.refused.values()].reduce((a, b) => a + b, 0);
  lines.push(`chaos report (${input.mode}, ${fmtS(input.durationMs)} of load)`);
  lines.push(
    `heartbeats: sent ${ledger.sent}, acknowledged ${ledger.acknowledged}, refused ${refused}` +
      (input.skipped > 0 ? `, not sent (client at its in-flight bound) ${input.skipped}` : ''),
  );
  for (const [reason, n] of sortedEntries(ledger.refused)) lines.push(`  refused ${reason}: ${n}`);
  lines.push(
    `keys (profile, title): ${v.keys}; final state = latest acknowledged ${v.findings.ok}, ` +
      `a later unacknowledged heartbeat ${v.findings.ok_unacknowledged}, unknown ${v.findings.unknown}`,
  );
  lines.push(
    `LOST (goal 0): ${lostCount(v)}${v.lostKeys.length > 0 ? ` e.g. ${v.lostKeys.slice(0, 3).join(', ')}` : ''}`,
  );
  const againstRead = ledger.regressions.filter((r) => r.against === 'earlier_read').length;
  lines.push(
    `REGRESSIONS (goal 0): ${ledger.regressions.length} in ${ledger.reads} sampled reads ` +
      `(older than an earlier read ${againstRead}, older than a 202 received before the read ${ledger.regressions.length - againstRead})`,
  );
  for (const r of ledger.regressions.slice(0, 5)) {
    lines.push(
      `  ${r.source} ${r.key}: read eventTime ${r.seen.eventTime} pos ${r.seen.positionSeconds} < ${r.against} eventTime ${r.before.eventTime} pos ${r.before.positionSeconds}`,
    );
  }
  lines.push(
    `events: ${v.events} in viewing-events, duplicates delivered ${v.duplicateEvents}, ` +
      `final states without their event ${v.missingEvents.length}`,
  );
  lines.push(
    `history: ${v.completedKeys} completed keys, missing ${v.historyMissing.length}, more than once ${v.historyDuplicated.length}, ` +
      `without completion ${v.historyUnexpected.length}; extra completion events dropped by the consumer ${v.completionEventsAbsorbed}`,
  );
  const flushTotal = Object.values(input.proxy.flushes).reduce((a, b) => a + b, 0);
  const flushOk = input.proxy.flushes['200'] ?? 0;
  lines.push(
    `flushes through the proxy: ${flushTotal}, answered 200 ${flushOk}, failed and retried ${flushTotal - flushOk} (` +
      sortedEntries(input.proxy.flushes)
        .filter(([k]) => k !== '200')
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') +
      ')',
  );
  const baseline = input.latencies.filter((l) => l.phase === 'none').map((l) => l.ms);
  lines.push(
    `heartbeat latency without a fault: p50 ${fmtMs(quantile(baseline, 0.5))}, p99 ${fmtMs(quantile(baseline, 0.99))} (${baseline.length})`,
  );
  const kinds = [...new Set(input.faults.map((f) => f.kind))];
  for (const kind of kinds) {
    const of = input.faults.filter((f) => f.kind === kind);
    const during = input.latencies.filter((l) => l.phase === kind).map((l) => l.ms);
    const drains = of.filter((f) => f.drainedAt !== null).map((f) => f.drainedAt! - f.recoveredAt);
    const outages = of.map((f) => f.recoveredAt - f.startedAt);
    const undrained = of.length - drains.length;
    lines.push(
      `fault ${kind}: ${of.length}×, outage median ${fmtS(quantile(outages, 0.5))}; drain after recovery median ` +
        `${drains.length ? fmtS(quantile(drains, 0.5)) : 'n/a'}, max ${drains.length ? fmtS(Math.max(...drains)) : 'n/a'}` +
        `${undrained ? `, not drained in time ${undrained}` : ''}; heartbeat p99 during ${fmtMs(quantile(during, 0.99))} (${during.length}) vs ${fmtMs(quantile(baseline, 0.99))} without`,
    );
  }
  for (const f of failedFaults(input.faults))
    lines.push(`fault ${f.kind} at ${new Date(f.startedAt).toISOString()}: ${f.detail}`);
  lines.push(passed(input) ? 'verdict: PASS (0 lost, 0 regressions)' : 'verdict: FAIL');
  return lines;
}
