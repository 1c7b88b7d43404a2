import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { kafkaEventBus } from '../src/stores/kafka-events.ts';
import { TOPICS } from '../src/stores/names.ts';
import { freshTopicPrefix } from './support/stack.ts';

describe('Kafka topic prefix', () => {
  it('keeps environments that share a cluster apart: a consumer sees only its own prefix\u2019s events', async () => {
    const brokers = inject('stack').KAFKA_BROKERS;
    const [a, b] = [freshTopicPrefix(brokers, 'prefix_a'), freshTopicPrefix(brokers, 'prefix_b')];
    const settings = { brokers: brokers.split(','), clientId: 'test', partitions: 1, replicationFactor: 1 };
    const [busA, busB] = await Promise.all([
      kafkaEventBus({ ...settings, topicPrefix: a.prefix }),
      kafkaEventBus({ ...settings, topicPrefix: b.prefix }),
    ]);
    const seen: string[] = [];
    const sub = await busA.subscribe(`prefix-${randomUUID()}`, TOPICS.viewingEvents, async (e) => void seen.push(e.id));
    try {
      await busB.publish(TOPICS.viewingEvents, [{ id: 'from-b', key: 'k', value: {} }]);
      await busA.publish(TOPICS.viewingEvents, [{ id: 'from-a', key: 'k', value: {} }]);
      const deadline = Date.now() + 20_000;
      while (!seen.includes('from-a') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(seen).toEqual(['from-a']);
    } finally {
      await sub.stop();
      await Promise.all([busA.close(), busB.close()]);
      await Promise.all([a.drop(), b.drop()]);
    }
  });
});
