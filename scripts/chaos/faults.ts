/**
 * The faults of a chaos run, one at a time: each `inject` breaks something and resolves once the
 * system is whole again (the killed process answers, the proxy passes traffic cleanly). Every wait
 * is bounded.
 */
import type { ClusterNode } from '../stack/cluster.ts';
import { NO_FAULTS, type ChaosProxy } from './proxy.ts';

export interface FaultContext {
  proxy: ChaosProxy;
  killOrigin(): Promise<void>;
  startOrigin(): Promise<void>;
  /** SIGKILL wrangler dev and its workerd, and start it again on the same persisted state and port. */
  restartEdge(): Promise<void>;
  /** After a fault that failed half way: start whatever is not running. */
  ensureUp(): Promise<void>;
  nodes: ClusterNode[];
  say(line: string): void;
}

export interface Fault {
  kind: string;
  /** Breaks something; resolves with what it did once the system is whole again. */
  inject(ctx: FaultContext): Promise<string>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** SIGKILL the origin while it serves at least one flush, then start it again. */
export const originKill: Fault = {
  kind: 'origin-kill',
  async inject(ctx) {
    const deadline = Date.now() + 10_000;
    while (ctx.proxy.flushesInFlight() === 0 && Date.now() < deadline) await sleep(2);
    const inFlight = ctx.proxy.flushesInFlight();
    await ctx.killOrigin();
    await sleep(1000);
    await ctx.startOrigin();
    return `SIGKILL with ${inFlight} flush(es) in flight`;
  },
};

/**
 * Every Durable Object evicted at once: wrangler dev's workerd SIGKILLed and started again on the
 * same persisted storage, so in-memory state is gone and only what was stored (and the alarms) remain.
 */
export const doEviction: Fault = {
  kind: 'do-eviction',
  async inject(ctx) {
    await ctx.restartEdge();
    return 'workerd SIGKILLed, restarted on its persisted state';
  },
};

/** Origin traffic held 0.5–3 s, one request in ten 17 s (past the edge's 15 s flush timeout), for a while. */
export function proxyDelay(windowMs: number): Fault {
  return {
    kind: 'proxy-delay',
    async inject(ctx) {
      ctx.proxy.faults = {
        ...NO_FAULTS,
        delayMs: () => (Math.random() < 0.1 ? 17_000 : 500 + Math.random() * 2500),
      };
      await sleep(windowMs);
      ctx.proxy.faults = NO_FAULTS;
      return `${windowMs / 1000} s of 0.5–3 s delays, 10% 17 s`;
    },
  };
}

/** A quarter of origin requests reset before the origin sees them, a quarter after it answered. */
export function proxyDrop(windowMs: number): Fault {
  return {
    kind: 'proxy-drop',
    async inject(ctx) {
      ctx.proxy.faults = { ...NO_FAULTS, dropBefore: 0.25, dropAfter: 0.25 };
      await sleep(windowMs);
      ctx.proxy.faults = NO_FAULTS;
      return `${windowMs / 1000} s of 25% dropped before, 25% after the origin`;
    },
  };
}

/** SIGKILL one node of a service (round robin over its nodes), keep it down a while, start it again. */
export function nodeKill(service: ClusterNode['service'], downMs: number): Fault {
  let turn = 0;
  return {
    kind: `${service}-kill`,
    async inject(ctx) {
      const nodes = ctx.nodes.filter((n) => n.service === service);
      if (nodes.length === 0) throw new Error(`no ${service} nodes to kill`);
      const node = nodes[turn++ % nodes.length]!;
      await node.kill();
      await sleep(downMs);
      await node.start();
      await until(`${node.name} up again`, () => node.isUp(), 180_000);
      return `${node.name} (${node.host}:${node.port}) SIGKILLed, ${downMs / 1000} s down`;
    },
  };
}

/**
 * The order of faults: `originKills` origin kills spread between `others` rounds of each other
 * fault, so no two of the same kind follow each other when it can be helped.
 */
export function schedule(originKills: number, others: Fault[], rounds: number): Fault[] {
  const rest: Fault[] = [];
  for (let r = 0; r < rounds; r++) rest.push(...others);
  const out: Fault[] = [];
  const slots = Math.max(originKills, rest.length);
  for (let i = 0; i < slots; i++) {
    if (i < originKills) out.push(originKill);
    const j = Math.floor((i * rest.length) / slots);
    const k = Math.floor(((i + 1) * rest.length) / slots);
    out.push(...rest.slice(j, k));
  }
  return out;
}
