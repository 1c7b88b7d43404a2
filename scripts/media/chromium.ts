/** Debian's chromium for the browser tests: found, or installed with apt-get when missing. */
import { existsSync } from 'node:fs';

import { StackError } from '../stack/errors.ts';
import { isEnoent, lastLines, run } from '../stack/proc.ts';
import { CHROMIUM } from './smoke-play.ts';

export async function ensureChromium(log: (line: string) => void): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new StackError(`${CHROMIUM} is missing. Install it (sudo apt-get install -y chromium).`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const heartbeat = { onHeartbeat: (ms: number) => log(`chromium: still installing (${Math.round(ms / 1000)} s)`) };
  log('chromium: not installed; running apt-get update && apt-get install -y chromium…');
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    let result;
    try {
      result = await run('apt-get', args, { env, ...heartbeat });
    } catch (err) {
      if (isEnoent(err)) throw new StackError('chromium is not installed and apt-get is not available');
      throw err;
    }
    if (result.code !== 0) {
      throw new StackError(
        `"apt-get ${args.join(' ')}" failed (exit ${String(result.code)}):\n${lastLines(result.output, 30)}`,
      );
    }
  }
  if (!existsSync(CHROMIUM)) throw new StackError(`apt-get installed chromium but ${CHROMIUM} is still missing`);
  log('chromium: installed');
}
