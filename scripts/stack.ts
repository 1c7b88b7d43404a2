/**
 * Real local stack (PostgreSQL, Cassandra 5.0, Kafka 3.9) on loopback, no Docker.
 *
 *   npx tsx scripts/stack.ts up     [postgres|cassandra|kafka ...]
 *   npx tsx scripts/stack.ts down   [postgres|cassandra|kafka ...]
 *   npx tsx scripts/stack.ts status
 *
 * State (data, logs, config, pids, cached classpaths) lives in .stack/ (EDGEFLIX_STACK_DIR).
 */
import { SERVICE_NAMES, StackError, stackDown, stackStatus, stackUp } from './stack/index.ts';
import type { ServiceName } from './stack/index.ts';
import { paths, stackDir } from './stack/paths.ts';

const USAGE = `usage: tsx scripts/stack.ts up|down|status [${SERVICE_NAMES.join('|')} ...]`;

function parseServices(args: readonly string[]): ServiceName[] {
  const unknown = args.filter((a) => !(SERVICE_NAMES as readonly string[]).includes(a));
  if (unknown.length > 0) throw new StackError(`unknown service ${unknown.join(', ')}\n${USAGE}`);
  return args as ServiceName[];
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (line: string) => console.log(line);
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
