/**
 * Origin entry: configuration, stores, HTTP server, graceful shutdown on SIGTERM/SIGINT.
 */
import { serve } from '@hono/node-server';
import { completionThresholds } from '../../core/progress.ts';
import { importUserTokenSigner } from '../../core/tokens.ts';
import { createApp } from './app.ts';
import { ConfigError, loadConfig, sessionSettings } from './config.ts';
import { createLogger } from './log.ts';
import { seedIfEmpty } from './seed/bootstrap.ts';
import { createStores } from './stores/index.ts';
import { startInBackground } from './consumers/background.ts';
import { startCompletionConsumer } from './consumers/completions.ts';
import { startExposureConsumer } from './consumers/exposures.ts';
import { importKek } from '../../core/protection/key-wrap.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('origin', config.LOG_LEVEL);
  const signer = await importUserTokenSigner(config.AUTH_SIGNING_JWK);
  const stores = await createStores(config, log, {
    // The embedded default is for trying edgeflix out: give it a catalog on first run.
    ...(config.STORE_MODE === 'embedded' ? { afterMigrate: (sql) => seedIfEmpty(sql, log) } : {}),
  });
  const app = createApp({
    stores,
    log,
    signer,
    tokenSettings: { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE },
    serviceSecret: config.SERVICE_TOKEN_SECRET,
    serviceClockToleranceS: config.SERVICE_CLOCK_TOLERANCE_S,
    operatorApiKey: config.OPERATOR_API_KEY,
    contentKeyKek: await importKek(config.CONTENT_KEY_KEK),
    completion: completionThresholds(config),
    sessions: sessionSettings(config),
    homeSharedTtlMs: config.HOME_SHARED_TTL_SECONDS * 1000,
  });
  const server = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT }, (info) =>
    log.info('origin_listening', { address: `${info.address}:${info.port}`, storeMode: stores.mode }),
  );
  // After listening: a group join can wait out a crashed member's session (background.ts).
  const completions = startInBackground('completions', () => startCompletionConsumer(stores, log), log);
  const exposures = startInBackground('exposures', () => startExposureConsumer(stores, log), log);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('origin_stopping', { signal });
    const force = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS).unref();
    server.close(() => {
      void Promise.all([completions.stop(), exposures.stop()])
        .then(() => stores.close())
        .finally(() => {
          clearTimeout(force);
          log.info('origin_stopped', {});
          process.exit(0);
        });
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(
      `origin failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(1);
});
