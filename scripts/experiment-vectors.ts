/**
 * Rewrites core/experiments/test-vectors.json from core/experiments/vectors.ts (the published
 * allocation test vectors), which core/experiments/vectors.test.ts holds the scheme to. Run it after
 * changing the scheme on purpose: `npm run experiments:vectors`.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { buildTestVectors } from '../core/experiments/vectors.ts';

const file = fileURLToPath(new URL('../core/experiments/test-vectors.json', import.meta.url));
const options = (await prettier.resolveConfig(file)) ?? {};
await writeFile(file, await prettier.format(JSON.stringify(buildTestVectors()), { ...options, filepath: file }));
console.log(`wrote ${file}`);
