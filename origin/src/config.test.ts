import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const jwk = JSON.stringify({ kty: 'EC', crv: 'P-256', d: 'd', x: 'x', y: 'y', kid: 'k' });
const valid = {
  AUTH_SIGNING_JWK: jwk,
  SERVICE_TOKEN_SECRET: 'x'.repeat(32),
  OPERATOR_API_KEY: 'o'.repeat(32),
  CONTENT_KEY_KEK: 'k'.repeat(43),
};

function message(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies local defaults: embedded stores, SimpleStrategy RF 1, LOCAL_QUORUM', () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      STORE_MODE: 'embedded',
      PORT: 8788,
      CASSANDRA_REPLICATION: { class: 'SimpleStrategy', replication_factor: 1 },
      CASSANDRA_CONSISTENCY: 'localQuorum',
    });
  });

  it('reads a production replication map', () => {
    const config = loadConfig({ ...valid, CASSANDRA_REPLICATION: 'NetworkTopologyStrategy:us-east=3,eu-west=3' });
    expect(config.CASSANDRA_REPLICATION).toEqual({ class: 'NetworkTopologyStrategy', 'us-east': 3, 'eu-west': 3 });
  });

  it('keeps single-node Kafka defaults and reads the cluster settings (RF 3, two in-sync copies)', () => {
    expect(loadConfig(valid)).toMatchObject({ KAFKA_REPLICATION_FACTOR: 1, KAFKA_MIN_INSYNC_REPLICAS: 1 });
    const cluster = loadConfig({ ...valid, KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    expect(cluster).toMatchObject({ KAFKA_REPLICATION_FACTOR: 3, KAFKA_MIN_INSYNC_REPLICAS: 2 });
  });

  it('refuses more in-sync replicas than the topics have copies, which no write could satisfy', () => {
    expect(message({ ...valid, KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toContain(
      'KAFKA_MIN_INSYNC_REPLICAS must not exceed KAFKA_REPLICATION_FACTOR',
    );
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['STORE_MODE', { STORE_MODE: 'cloud' }],
    ['CASSANDRA_REPLICATION', { CASSANDRA_REPLICATION: 'Everywhere:3' }],
    ['CASSANDRA_CONSISTENCY', { CASSANDRA_CONSISTENCY: 'most' }],
    ['SERVICE_TOKEN_SECRET', { SERVICE_TOKEN_SECRET: 'short' }],
    ['AUTH_SIGNING_JWK', { AUTH_SIGNING_JWK: 'not json' }],
    ['OPERATOR_API_KEY', { OPERATOR_API_KEY: 'short' }],
    ['OPERATOR_API_KEY', { OPERATOR_API_KEY: 'x'.repeat(32) }],
  ])('names %s when its value is bad', (name, patch) => {
    expect(message({ ...valid, ...patch })).toContain(name);
  });

  it('names a missing required secret without echoing any secret value', () => {
    const text = message({ AUTH_SIGNING_JWK: jwk });
    expect(text).toContain('SERVICE_TOKEN_SECRET is required');
    expect(text).toContain('OPERATOR_API_KEY is required');
    expect(text).not.toContain('"d"');
  });

  it('requires DATABASE_URL for the real stack', () => {
    expect(message({ ...valid, STORE_MODE: 'real' })).toContain('DATABASE_URL');
  });
});
