import type { TestProject } from 'vitest/node';
import type { StackEnv } from '../scripts/stack/index.ts';
import { ensureChromium } from '../scripts/media/chromium.ts';
import { ensureFfmpeg } from '../scripts/media/ffmpeg.ts';
import { requireStack } from '../origin/test/support/stack.ts';

/**
 * The browser test needs the real stack, ffmpeg (to make media) and Debian's chromium: installed
 * here with apt-get when missing, so `npm test` works on a fresh machine.
 */
export default async function setup(project: TestProject): Promise<void> {
  const say = (line: string) => process.stdout.write(`[e2e] ${line}\n`);
  await ensureFfmpeg(say);
  await ensureChromium(say);
  project.provide('stack', await requireStack());
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEnv;
  }
}
