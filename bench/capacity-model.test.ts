import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStat } from './cpu.ts';
import { plan, type Audience, type Fleet, type PerCore } from './capacity-model.ts';

const perCore: PerCore = { edgeHeartbeats: 1000, originRows: 2000, cassandraReplicaWrites: 10_000, kafkaBytes: 50e6 };
const audience: Audience = {
  viewers: 50e6,
  heartbeatSeconds: 10,
  heartbeatsPerRow: 20,
  cassandraReplication: 3,
  kafkaReplication: 3,
  eventBytes: 300,
};
const fleet: Fleet = { coresPerMachine: 16, targetUtilisation: 0.5 };

const positive = fc.double({ min: 1, max: 1e7, noNaN: true });

describe('capacity model', () => {
  it('works out the loads from the audience: 50 M viewers at one heartbeat per 10 s are 5 M heartbeats/s', () => {
    const result = plan(perCore, audience, fleet);
    expect(result.heartbeatsPerSecond).toBe(5e6);
    expect(result.rowsPerSecond).toBe(250_000);
    const need = Object.fromEntries(result.needs.map((n) => [n.component, n]));
    expect(need['cassandraReplicaWrites']!.load).toBe(750_000);
    expect(need['kafkaBytes']!.load).toBe(250_000 * 300 * 3);
    // 5 M heartbeats/s at 1000 per core, at half the cores' time: 10,000 cores, 625 machines.
    expect(need['edgeHeartbeats']!.cores).toBe(10_000);
    expect(need['edgeHeartbeats']!.machines).toBe(625);
    expect(result.saturatesFirst).toBe('edgeHeartbeats');
  });

  it('never needs fewer machines of any component for more viewers', () => {
    fc.assert(
      fc.property(positive, positive, (a, b) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        const s = plan(perCore, { ...audience, viewers: small }, fleet).needs;
        const l = plan(perCore, { ...audience, viewers: large }, fleet).needs;
        return s.every((need, i) => need.machines <= l[i]!.machines);
      }),
    );
  });

  it('a longer flush (more heartbeats per row) never needs more origin, Cassandra or Kafka, and leaves the edge alone', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1000, noNaN: true }),
        fc.double({ min: 1, max: 1000, noNaN: true }),
        (a, b) => {
          const [short, long] = a <= b ? [a, b] : [b, a];
          const s = plan(perCore, { ...audience, heartbeatsPerRow: short }, fleet).needs;
          const l = plan(perCore, { ...audience, heartbeatsPerRow: long }, fleet).needs;
          return s.every((need, i) =>
            need.component === 'edgeHeartbeats' ? need.cores === l[i]!.cores : l[i]!.cores <= need.cores,
          );
        },
      ),
    );
  });

  it('refuses a row that holds less than one heartbeat', () => {
    expect(() => plan(perCore, { ...audience, heartbeatsPerRow: 0.5 }, fleet)).toThrow(RangeError);
  });
});

describe('/proc stat parsing', () => {
  it('reads ppid and user+system ticks even when the command name holds spaces and parentheses', () => {
    const text = '4242 (java (x) y) S 17 4242 4242 0 -1 4194560 1 0 0 0 1234 566 0 0 20 0 40 0 1 2 3';
    expect(parseStat(4242, text)).toEqual({ pid: 4242, ppid: 17, cpuSeconds: 18 });
  });
});
