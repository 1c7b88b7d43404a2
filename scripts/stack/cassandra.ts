import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { StackError } from './errors.ts';
import { requireJava } from './java.ts';
import { managedDown, managedStatus, managedUp } from './managed.ts';
import type { ManagedServer } from './managed.ts';
import { findJar, resolveClasspath } from './maven.ts';
import { ensureDir, paths } from './paths.ts';
import { renderTemplate } from './template.ts';
import type { Service } from './types.ts';

export const CASSANDRA_CQL_PORT = 9042;
const CASSANDRA_STORAGE_PORT = 7000;
const CASSANDRA_JMX_PORT = 7199;
export const CASSANDRA_DC = 'datacenter1';

const MAIN_CLASS = 'org.apache.cassandra.service.CassandraDaemon';

const confDir = () => join(paths.serviceDir('cassandra'), 'conf');
const yamlFile = () => join(confDir(), 'cassandra.yaml');
const yamlUrl = () => pathToFileURL(yamlFile()).href;

/** Upstream conf/jvm17-server.options, one flag per package, which the bare jar does not carry. */
export const JDK17_FLAGS = [
  '-Djdk.attach.allowAttachSelf=true',
  ...[
    'java.base/jdk.internal.misc',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.management/com.sun.jmx.remote.security',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
  ].map((p) => `--add-exports=${p}=ALL-UNNAMED`),
  ...[
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.lang.reflect',
    'java.base/java.lang',
    'java.base/java.util',
    'java.base/java.nio',
    'jdk.management/com.sun.management.internal',
  ].map((p) => `--add-opens=${p}=ALL-UNNAMED`),
  '-Dio.netty.tryReflectionSetAccessible=true',
];

const server: ManagedServer = {
  name: 'cassandra',
  ports: [
    { port: CASSANDRA_CQL_PORT, label: 'CQL' },
    { port: CASSANDRA_STORAGE_PORT, label: 'storage' },
    { port: CASSANDRA_JMX_PORT, label: 'JMX' },
  ],
  get markers() {
    return [MAIN_CLASS, yamlUrl()];
  },
  readyMarker: 'Starting listening for CQL clients',
  what: 'CQL',
  timeoutMs: 180_000,
  async prepare(log) {
    // Java first: no point downloading jars for a JVM that is not there.
    const java = await requireJava(log);
    const jars = await resolveClasspath('cassandra', log, 'first run downloads ~150 MB into ~/.m2');
    const jamm = findJar(jars, 'jamm');
    if (!jamm) throw new StackError('cassandra: jamm jar missing from the resolved classpath (needed as -javaagent)');

    const home = paths.serviceDir('cassandra');
    const dataDir = ensureDir(join(home, 'data'));
    const logDir = ensureDir(paths.logDir());
    const tmp = ensureDir(paths.tmpDir('cassandra'));
    renderTemplate('cassandra.yaml', yamlFile(), {
      DATA_DIR: dataDir,
      CQL_PORT: CASSANDRA_CQL_PORT,
      STORAGE_PORT: CASSANDRA_STORAGE_PORT,
    });
    const logback = join(confDir(), 'logback.xml');
    renderTemplate('logback.xml', logback, {});

    const args = [
      // Xms below Xmx on purpose: as root, Cassandra's mlockall(MCL_CURRENT) pins every
      // committed page at start, so -Xms1G would make the whole heap resident at once.
      '-Xms256m',
      '-Xmx1G',
      '-Xss256k',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=300',
      // No hsperfdata mmap file, and no multi-GiB heap dump if a test run goes wrong.
      '-XX:+PerfDisableSharedMem',
      '-XX:-HeapDumpOnOutOfMemoryError',
      '-XX:+ExitOnOutOfMemoryError',
      '-XX:MaxDirectMemorySize=512m',
      ...JDK17_FLAGS,
      `-javaagent:${jamm}`,
      '-Djava.net.preferIPv4Stack=true',
      '-Dchronicle.analytics.disable=true',
      // JNA and Netty unpack native libraries into tmp; a tmp we own and may exec from.
      `-Djava.io.tmpdir=${tmp}`,
      `-Djna.tmpdir=${tmp}`,
      `-Dcassandra.config=${yamlUrl()}`,
      `-Dcassandra.storagedir=${dataDir}`,
      `-Dcassandra.logdir=${logDir}`,
      `-Dlogback.configurationFile=${logback}`,
      // Without it the daemon closes stdout/stderr, which is where our log file is.
      '-Dcassandra-foreground=yes',
      `-Dcassandra.jmx.local.port=${CASSANDRA_JMX_PORT}`,
      // Single node: nothing to gossip with, and system tables need no fsync in a dev stack.
      '-Dcassandra.skip_wait_for_gossip_to_settle=0',
      '-Dcassandra.unsafesystem=true',
      '-cp',
      jars.join(':'),
      MAIN_CLASS,
    ];
    return { command: java.bin, args, cwd: home };
  },
};

export const cassandra: Service = {
  name: 'cassandra',
  up: (log) => managedUp(server, log),
  down: (log) => managedDown(server, log),
  status: () => managedStatus(server),
};
