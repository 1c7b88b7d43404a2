import type { TestProject } from 'vitest/node';
import type { StackEnv } from '../../scripts/stack/index.ts';
import { requireStack } from './support/stack.ts';

/** The origin suite runs against the real stack: fail loudly when it is not up. */
export default async function setup(project: TestProject): Promise<void> {
  const env = await requireStack();
  project.provide('stack', env);
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEnv;
  }
}
