/**
 * Real local stack (PostgreSQL, Cassandra 5.0, Kafka 3.9) on loopback, no Docker.
 *
 *   npx tsx scripts/stack.ts up     [postgres|cassandra|kafka ...]
 *   npx tsx scripts/stack.ts down   [postgres|cassandra|kafka ...]
 *   npx tsx scripts/stack.ts status
 *   npx tsx scripts/stack.ts up|down|status --cluster   (three Cassandra nodes + three Kafka brokers
 *                                                         on 127.0.0.1-3; docs/cluster.md)
 *
 * State (data, logs, config, pids, cached classpaths) lives in .stack/ (EDGEFLIX_STACK_DIR).
 */
import {
  SERVICE_NAMES,
  StackError,
  clusterDown,
  clusterStatus,
  clusterUp,
  stackDown,
  stackStatus,
  stackUp,
} from './stack/index.ts';
import type { ServiceName } from './stack/index.ts';
import { paths, stackDir } from './stack/paths.ts';

const USAGE = `usage: tsx scripts/stack.ts up|down|status [${SERVICE_NAMES.join('|')} ...]\n       tsx scripts/stack.ts up|down|status --cluster`;

function parseServices(args: readonly string[]): ServiceName[] {
  const unknown = args.filter((a) => !(SERVICE_NAMES as readonly string[]).includes(a));
  if (unknown.length > 0) throw new StackError(`unknown service ${unknown.join(', ')}\n${USAGE}`);
  return args as ServiceName[];
}

async function cluster(command: string | undefined, log: (line: string) => void): Promise<number> {
  switch (command) {
    case 'up': {
      const { env } = await clusterUp(log);
      console.log(`logs in ${paths.logDir()}/cluster`);
      for (const [key, value] of Object.entries(env)) console.log(`${key}=${value}`);
      return 0;
    }
    case 'down':
      await clusterDown(log);
      return 0;
    case 'status': {
      const status = await clusterStatus();
      for (const s of status.nodes) console.log(`${s.name.padEnd(12)} ${s.up ? 'up  ' : 'down'}  ${s.detail}`);
      for (const line of [...status.ring, ...status.brokers]) console.log(line);
      console.log(`state in ${stackDir()}/cluster`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const log = (line: string) => console.log(line);
  if (argv.includes('--cluster')) {
    const others = argv.filter((a) => a !== '--cluster');
    if (others.length > 1) throw new StackError(`--cluster takes no service names\n${USAGE}`);
    return cluster(others[0], log);
  }
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const env = await stackUp(parseServices(rest), log);
      console.log(`logs in ${paths.logDir()}`);
      for (const [key, value] of Object.entries(env)) console.log(`${key}=${value}`);
      return 0;
    }
    case 'down':
      await stackDown(parseServices(rest), log);
      return 0;
    case 'status': {
      const status = await stackStatus();
      for (const name of SERVICE_NAMES) {
        const s = status[name];
        console.log(`${name.padEnd(10)} ${s.up ? 'up  ' : 'down'}  ${s.detail}`);
      }
      console.log(`state in ${stackDir()}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // StackError messages are written for people; anything else is a bug here, so keep its trace.
    console.error(err instanceof StackError ? `stack: ${err.message}` : err);
    process.exitCode = 1;
  },
);
