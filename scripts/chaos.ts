/**
 * `npm run chaos`: heartbeats for hundreds of profiles through the edge (wrangler dev) into their
 * ProgressBuffers at a steady rate, with short flush intervals, while one fault at a time breaks
 * something: the origin SIGKILLed mid-flush, every Durable Object evicted (workerd SIGKILLed and
 * restarted on its stored state), origin traffic delayed or dropped by a proxy, and with
 * `--cluster` a Cassandra node or a Kafka broker SIGKILLed. Then, once flushes have drained, it
 * checks that Cassandra holds each (profile, title)'s latest acknowledged heartbeat, that no read
 * went backwards, that every final state has its viewing-events record and that history holds
 * each completion once. Exit 1 when anything acknowledged was lost or a read went backwards.
 *
 * Its own database, keyspace and topic prefix (dropped at the end; `--keep` keeps them); the origin
 * as a child process; loopback only. `--short`: a couple of minutes, for CI. docs/chaos.md.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { cassandraClient, cassandraSettings, migrateCassandra } from '../origin/src/db/cassandra.ts';
import { loadStoreConfig } from '../origin/src/config.ts';
import { MIGRATIONS_DIR, migratePostgres } from '../origin/src/db/postgres.ts';
import { seedDatabase } from '../origin/src/seed/write.ts';
import { makeTestKeys } from '../origin/test/support/keys.ts';
import { TEST_TOKEN_SETTINGS } from '../origin/test/support/origin.ts';
import { freshDatabase, freshKeyspace, freshTopicPrefix, requireStack } from '../origin/test/support/stack.ts';
import { errorReport } from './chaos/logs.ts';
import { doEviction, nodeKill, proxyDelay, proxyDrop, schedule, sleep, type FaultContext } from './chaos/faults.ts';
import { Load, makeProfiles, type LoadOptions, type PlayableTitle } from './chaos/load.ts';
import { killAndWait, killTree, startOrigin, type OriginProcess } from './chaos/processes.ts';
import { NO_FAULTS, startProxy } from './chaos/proxy.ts';
import { clusterDown, clusterStatus, clusterUp } from './stack/cluster.ts';
import { errorMessage } from './stack/errors.ts';
import { consumerLag, pool, readEvents, readHistory, readProgress } from './chaos/stores.ts';
import {
  formatReport,
  Ledger,
  passed,
  verdict,
  type FaultRecord,
  type Key,
  type StoredState,
} from './chaos/verdict.ts';
import { freePort, startEdge, type EdgeProcess } from './edge-process.ts';

const args = new Set(process.argv.slice(2));
const SHORT = args.has('--short');
const CLUSTER = args.has('--cluster');
const KEEP = args.has('--keep');
const say = (line: string) => process.stdout.write(`[chaos] ${new Date().toISOString().slice(11, 19)} ${line}\n`);

const FLUSH_INTERVAL_MS = 2000;
const LOAD: LoadOptions = SHORT
  ? { profiles: 100, titlesPerProfile: 3, twoDevices: 0.3, rate: 20, minBeatsToEnd: 4, maxInFlight: 64 }
  : { profiles: 300, titlesPerProfile: 3, twoDevices: 0.3, rate: 40, minBeatsToEnd: 15, maxInFlight: 100 };
const PLAN = SHORT
  ? { originKills: 2, rounds: 1, windowMs: 8000, nodeDownMs: 8000, budgetMs: 240_000, drainTimeoutMs: 90_000 }
  : {
      originKills: 20,
      rounds: 2,
      windowMs: 10_000,
      nodeDownMs: 10_000,
      budgetMs: 22 * 60_000,
      drainTimeoutMs: 120_000,
    };
/** Load without faults before the first and between two faults (the latency baseline). */
const QUIET_MS = SHORT ? 5000 : 4000;

/** The driver has it (Metadata#checkSchemaAgreement), its types do not. */
interface SchemaAgreement {
  checkSchemaAgreement(): Promise<boolean>;
}

/** The loopback cluster, started when it is not up (and then stopped at the end: left as found). */
async function startCluster() {
  const wasUp = (await clusterStatus()).nodes.every((n) => n.up);
  const cluster = await clusterUp((line) => say(`cluster: ${line}`));
  return { ...cluster, stopAfter: !wasUp };
}

async function main(): Promise<number> {
  const started = Date.now();
  const cleanup: (() => Promise<unknown>)[] = [];
  const cluster = CLUSTER ? await startCluster() : undefined;
  const stack = cluster ? cluster.env : await requireStack();
  const nodes = cluster?.nodes ?? [];
  say(
    `${SHORT ? 'short' : 'long'} form on the ${CLUSTER ? `cluster (${nodes.map((n) => n.name).join(', ')})` : 'single-node stack'}; ` +
      `${LOAD.profiles} profiles × ${LOAD.titlesPerProfile} titles at ${LOAD.rate} heartbeats/s, flush every ${FLUSH_INTERVAL_MS} ms`,
  );
  const runDir = await mkdtemp(path.join(tmpdir(), 'edgeflix-chaos-'));
  let ok = false;
  let loggedErrors = 0;
  try {
    const db = await freshDatabase(stack.DATABASE_URL, 'chaos');
    if (!KEEP) cleanup.push(() => db.drop());
    const ks = freshKeyspace(stack, 'chaos');
    if (!KEEP) cleanup.push(() => ks.drop());
    const topics = freshTopicPrefix(stack.KAFKA_BROKERS, 'chaos');
    if (!KEEP) cleanup.push(() => topics.drop());
    await migratePostgres(db.url, { embedded: false });
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    let titles: PlayableTitle[];
    try {
      await seedDatabase(sql, { titles: 24 });
      titles = (
        await sql<{ id: string; duration_seconds: number }[]>`
          SELECT id, duration_seconds FROM titles WHERE type <> 'series' ORDER BY id LIMIT 12`
      ).map((r) => ({ id: r.id, durationSeconds: r.duration_seconds }));
    } finally {
      await sql.end();
    }
    say(
      `database ${new URL(db.url).pathname.slice(1)}, keyspace ${ks.keyspace}, topics ${topics.prefix}*; ${titles.length} titles`,
    );

    const keys = await makeTestKeys();
    const originEnv: Record<string, string> = {
      // The stack's settings (the cluster's name its replication and consistency too).
      ...(stack as unknown as Record<string, string>),
      STORE_MODE: 'real',
      DATABASE_URL: db.url,
      CASSANDRA_KEYSPACE: ks.keyspace,
      KAFKA_TOPIC_PREFIX: topics.prefix,
      AUTH_SIGNING_JWK: JSON.stringify(keys.signingJwk),
      SERVICE_TOKEN_SECRET: keys.serviceSecret,
      OPERATOR_API_KEY: keys.operatorKey,
      CONTENT_KEY_KEK: keys.contentKeyKek,
      LOG_LEVEL: 'warn',
    };
    // The keyspace and tables first, and every node agreeing on them: an origin whose own migration
    // creates the keyspace can reach a node that has not heard of it yet ("Keyspace … does not exist").
    const storeConfig = cassandraSettings(loadStoreConfig(originEnv));
    const admin = cassandraClient(storeConfig, false);
    try {
      const replication = Object.entries(storeConfig.replication)
        .map(([k, v]) => `'${k}': ${typeof v === 'number' ? v : `'${v}'`}`)
        .join(', ');
      await admin.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks.keyspace} WITH replication = {${replication}}`);
      const agreement = admin.metadata as unknown as SchemaAgreement;
      for (let i = 0; i < 60 && !(await agreement.checkSchemaAgreement()); i++) await sleep(1000);
    } finally {
      await admin.shutdown();
    }
    await migrateCassandra(storeConfig, MIGRATIONS_DIR.cassandra);
    const originPort = await freePort();
    const originLog = path.join(runDir, 'origin.log');
    let origin: OriginProcess | undefined = await startOrigin(originEnv, originPort, originLog);
    cleanup.unshift(async () => origin && (await killAndWait(origin.child)));
    const proxy = await startProxy(origin.url);
    cleanup.unshift(() => proxy.close());

    const persistTo = path.join(runDir, 'wrangler');
    const edgeLog = path.join(runDir, 'edge.log');
    const edgePort = await freePort();
    const launchEdge = () =>
      startEdge({
        port: edgePort,
        originUrl: proxy.url,
        secrets: {
          AUTH_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
          SERVICE_TOKEN_SECRET: keys.serviceSecret,
          SEGMENT_SIGNING_KEYS: keys.segmentSigningKeys,
        },
        vars: {
          LOG_LEVEL: 'warn',
          RATE_LIMITS: JSON.stringify({ enabled: false }),
          PROGRESS_FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS),
        },
        persistTo,
        logFile: edgeLog,
        readyTimeoutMs: 180_000,
        healthAttemptTimeoutMs: 10_000,
      });
    let edge: EdgeProcess = await launchEdge();
    cleanup.unshift(() => edge.stop());
    say(`origin ${origin.url} (log ${originLog}), proxy ${proxy.url}, edge ${edge.url} (log ${edgeLog})`);

    const ledger = new Ledger();
    const profiles = await makeProfiles(keys.signingJwk, TEST_TOKEN_SETTINGS, LOAD);
    const profileIds = profiles.map((p) => p.profileId);
    const load = new Load(edge.url, ledger, profiles, titles, LOAD);
    const cql = cassandraClient(ks);
    cleanup.unshift(() => cql.shutdown());

    /** Reads every stored state of some profiles, feeding the regression check on Cassandra. */
    const readStored = async (ids: readonly string[]) => {
      const out = new Map<Key, StoredState>();
      // One partition at a time, each compared with what reads finished before it was sent: the
      // sampler and a drain read at once, and a batch held up by a slow node finishes late.
      await pool(ids, 16, async (profileId) => {
        const floors = new Map(
          [...ledger.keys.keys()]
            .filter((key) => key.startsWith(profileId))
            .map((key) => [key, ledger.seenState(key, 'cassandra')]),
        );
        const stored = await readProgress(cql, [profileId]);
        const at = Date.now();
        for (const [key, state] of stored) {
          ledger.recordRead(key, 'cassandra', state, at, { seenBefore: floors.get(key) ?? null });
          out.set(key, state);
        }
      });
      return out;
    };
    /** Waits until Cassandra holds every target; the time it took, or null past the timeout. */
    const drain = async (targets: Map<Key, number>, timeoutMs: number): Promise<number | null> => {
      const from = Date.now();
      let waiting = targets;
      while (Date.now() - from < timeoutMs) {
        const ids = [...new Set([...waiting.keys()].map((k) => k.slice(0, 36)))];
        try {
          const left = ledger.undrained(await readStored(ids), waiting);
          waiting = new Map(left.map((k) => [k, waiting.get(k)!]));
          if (waiting.size === 0) return Date.now();
        } catch {
          // a Cassandra node is still coming back: read again
        }
        await sleep(1000);
      }
      say(`  not drained after ${timeoutMs / 1000} s: ${waiting.size} keys behind, e.g. ${[...waiting.keys()][0]}`);
      return null;
    };

    const ctx: FaultContext = {
      proxy,
      nodes,
      say,
      killOrigin: async () => {
        if (origin) await killAndWait(origin.child);
        origin = undefined;
      },
      startOrigin: async () => {
        origin = await startOrigin(originEnv, originPort, originLog);
      },
      ensureUp: async () => {
        if (!origin) origin = await startOrigin(originEnv, originPort, originLog);
        if (edge.child.exitCode !== null || edge.child.signalCode !== null) edge = await launchEdge();
      },
      restartEdge: async () => {
        await killTree(edge.child);
        await edge.stop();
        edge = await launchEdge();
      },
    };
    // Node kills first: the short form's time budget must reach them, the slowest to recover.
    const others = [
      ...(cluster ? [nodeKill('cassandra', PLAN.nodeDownMs), nodeKill('kafka', PLAN.nodeDownMs)] : []),
      proxyDelay(PLAN.windowMs),
      doEviction,
      proxyDrop(PLAN.windowMs),
    ];
    const plan = schedule(PLAN.originKills, others, PLAN.rounds);
    say(`load on; ${plan.length} faults: ${plan.map((f) => f.kind).join(', ')}`);

    const loadStarted = Date.now();
    load.start();
    const progress = setInterval(() => {
      const refused = [...ledger.refused].sort((a, b) => b[1] - a[1]).slice(0, 3);
      say(
        `  ${load.phase}: sent ${ledger.sent}, acknowledged ${ledger.acknowledged}, in flight ${load.inFlight}` +
          (refused.length ? `, refused ${refused.map(([r, n]) => `${r} ${n}`).join(', ')}` : ''),
      );
    }, 15_000);
    const sampler = setInterval(() => {
      const ids = Array.from({ length: 10 }, () => profileIds[Math.floor(Math.random() * profileIds.length)]!);
      void readStored(ids).catch(() => undefined);
    }, 2000);
    const faults: FaultRecord[] = [];
    try {
      await sleep(QUIET_MS * 2);
      for (const fault of plan) {
        if (Date.now() - loadStarted > PLAN.budgetMs) {
          say(`time budget reached; ${plan.length - faults.length} faults not run`);
          break;
        }
        load.phase = fault.kind;
        const startedAt = Date.now();
        let detail: string;
        try {
          detail = await fault.inject(ctx);
        } catch (err) {
          detail = `FAILED: ${errorMessage(err)}`;
          say(`${fault.kind} ${detail}; bringing everything back`);
          ctx.proxy.faults = NO_FAULTS;
          // A few tries: what failed may be a node still catching up after its own restart.
          let again: unknown;
          for (let attempt = 1; attempt <= 3; attempt++) {
            try {
              await ctx.ensureUp();
              again = undefined;
              break;
            } catch (err) {
              again = err;
              say(`bringing everything back, attempt ${attempt} of 3: ${errorMessage(err).split('\n')[0]}`);
              await sleep(5000);
            }
          }
          if (again !== undefined) {
            faults.push({ kind: fault.kind, detail, startedAt, recoveredAt: Date.now(), drainedAt: null });
            say(`could not: ${errorMessage(again)}; no more faults`);
            break;
          }
        }
        const recoveredAt = Date.now();
        load.phase = 'recovering';
        const drainedAt = await drain(ledger.ackedTargets(), PLAN.drainTimeoutMs);
        faults.push({ kind: fault.kind, detail, startedAt, recoveredAt, drainedAt });
        say(
          `${fault.kind}: ${detail}; whole again in ${((recoveredAt - startedAt) / 1000).toFixed(1)} s, ` +
            `drained ${drainedAt === null ? 'NOT in time' : `${((drainedAt - recoveredAt) / 1000).toFixed(1)} s later`}`,
        );
        load.phase = 'none';
        await sleep(QUIET_MS);
      }
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
      await load.stop();
    }
    const loadMs = Date.now() - loadStarted;
    say(`load off after ${(loadMs / 1000).toFixed(0)} s (${ledger.sent} heartbeats); waiting for the last flushes`);
    const finalDrain = await drain(ledger.ackedTargets(), 300_000);
    say(finalDrain === null ? 'the last flushes did not drain in 300 s' : 'flushed');

    const lagDeadline = Date.now() + 240_000;
    let lag = Number.POSITIVE_INFINITY;
    while (Date.now() < lagDeadline) {
      lag = await consumerLag(stack.KAFKA_BROKERS, topics.prefix).catch(() => Number.POSITIVE_INFINITY);
      if (lag === 0) break;
      await sleep(2000);
    }
    say(lag === 0 ? 'completion consumer caught up' : `completion consumer still ${lag} events behind`);
    const [stored, events, history] = await Promise.all([
      readStored(profileIds),
      readEvents(stack.KAFKA_BROKERS, topics.prefix, 120_000),
      readHistory(cql, profileIds),
    ]);
    const result = verdict(ledger, stored, events, history);
    const report = formatReport({
      mode: `${SHORT ? '--short' : 'long'}${CLUSTER ? ' --cluster' : ''}, ${LOAD.profiles} profiles, ${load.streams} (profile, title) streams, ${LOAD.rate}/s, flush ${FLUSH_INTERVAL_MS} ms`,
      durationMs: loadMs,
      ledger,
      verdict: result,
      faults,
      latencies: load.latencies,
      proxy: { flushes: proxy.flushes, other: proxy.other },
      skipped: load.skipped,
    });
    if (lag !== 0) report.splice(-1, 0, `completion consumer lag at the end: ${lag} (history checked all the same)`);
    // Not a verdict (a fault may log errors by design), but a 500 in the refusals says why here.
    const logged = await errorReport([originLog, edgeLog]);
    loggedErrors = logged.total;
    report.splice(-1, 0, ...logged.lines);
    for (const line of report) process.stdout.write(`${line}\n`);
    const reportFile = path.join(tmpdir(), `edgeflix-chaos-report-${Date.now()}.txt`);
    await writeFile(reportFile, report.join('\n') + '\n');
    say(`report also in ${reportFile}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
    ok = passed({ ledger, verdict: result, faults });
    return ok ? 0 : 1;
  } finally {
    for (const step of cleanup) await step().catch(() => undefined);
    if (cluster?.stopAfter) await clusterDown((line) => say(`cluster: ${line}`));
    // A failed run, or one that logged errors, keeps its folder: the origin's and the edge's logs.
    if (!KEEP && ok && loggedErrors === 0) await rm(runDir, { recursive: true, force: true });
    else say(`run folder kept: ${runDir} (origin.log, edge.log)`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[chaos] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
