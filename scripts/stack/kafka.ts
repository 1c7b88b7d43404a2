import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { StackError } from './errors.ts';
import { requireJava } from './java.ts';
import { managedDown, managedStatus, managedUp } from './managed.ts';
import type { ManagedServer } from './managed.ts';
import { resolveClasspath } from './maven.ts';
import { ensureDir, paths } from './paths.ts';
import { lastLines, run } from './proc.ts';
import { renderTemplate } from './template.ts';
import type { Log, Service } from './types.ts';

export const KAFKA_BROKER_PORT = 9092;
const KAFKA_CONTROLLER_PORT = 9093;

const MAIN_CLASS = 'kafka.Kafka';

const propsFile = () => join(paths.serviceDir('kafka'), 'conf', 'server.properties');
const dataDir = () => join(paths.serviceDir('kafka'), 'data');

/**
 * Kafka's Uuid text form (URL-safe base64 of 16 random bytes), made here to save a JVM
 * start for `StorageTool random-uuid`. Kafka's own generator also rejects ids starting with
 * '-', which a command line would read as an option.
 */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function formatOnce(javaBin: string, classpath: string, log: Log): Promise<void> {
  // meta.properties is what the broker itself checks; its presence means "formatted".
  if (existsSync(join(dataDir(), 'meta.properties'))) return;
  log('kafka: formatting KRaft storage (first start)');
  const id = clusterId();
  const result = await run(javaBin, [
    '-Xmx256m',
    `-Dlog4j.configuration=file:${join(paths.serviceDir('kafka'), 'conf', 'log4j.properties')}`,
    '-cp',
    classpath,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    id,
    '-c',
    propsFile(),
  ]);
  if (result.code !== 0) {
    throw new StackError(
      `kafka: storage format failed (exit ${String(result.code)}). Output:\n${lastLines(result.output, 30)}`,
    );
  }
}

const server: ManagedServer = {
  name: 'kafka',
  ports: [
    { port: KAFKA_BROKER_PORT, label: 'broker' },
    { port: KAFKA_CONTROLLER_PORT, label: 'controller' },
  ],
  get markers() {
    // The StorageTool run also names server.properties; only the broker has the main class before it.
    return [`${MAIN_CLASS} ${propsFile()}`];
  },
  readyMarker: 'Kafka Server started',
  what: 'broker',
  timeoutMs: 90_000,
  async prepare(log) {
    // Java first: no point downloading jars for a JVM that is not there.
    const java = await requireJava(log);
    const jars = await resolveClasspath('kafka', log, 'first run downloads ~60 MB into ~/.m2');
    const classpath = jars.join(':');
    const home = paths.serviceDir('kafka');
    const tmp = ensureDir(paths.tmpDir('kafka'));
    const logDir = ensureDir(paths.logDir());
    ensureDir(dataDir());
    renderTemplate('server.properties', propsFile(), {
      BROKER_PORT: KAFKA_BROKER_PORT,
      CONTROLLER_PORT: KAFKA_CONTROLLER_PORT,
      LOG_DIRS: dataDir(),
    });
    const log4j = join(home, 'conf', 'log4j.properties');
    renderTemplate('log4j.properties', log4j, {});
    await formatOnce(java.bin, classpath, log);

    const args = [
      '-Xms512m',
      '-Xmx512m',
      // Kafka's own kafka-run-class.sh defaults.
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent',
      '-XX:+PerfDisableSharedMem',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      '-Djava.net.preferIPv4Stack=true',
      `-Djava.io.tmpdir=${tmp}`,
      `-Dkafka.logs.dir=${logDir}`,
      `-Dlog4j.configuration=file:${log4j}`,
      '-cp',
      classpath,
      MAIN_CLASS,
      propsFile(),
    ];
    return { command: java.bin, args, cwd: home };
  },
};

export const kafka: Service = {
  name: 'kafka',
  up: (log) => managedUp(server, log),
  down: (log) => managedDown(server, log),
  status: () => managedStatus(server),
};
