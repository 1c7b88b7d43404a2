/**
 * Puts dash.js (from npm) next to the web client's files, where the edge serves it as a static
 * asset (`/vendor/dash.all.min.js`). The copy is git-ignored; run before `wrangler dev`.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC_DIR = path.join(root, 'workers/edge/public');

export async function prepareWebAssets(): Promise<void> {
  // The package's "require" export is its UMD build (modern), which defines window.dashjs.
  const dashjs = createRequire(path.join(root, 'package.json')).resolve('dashjs');
  await mkdir(path.join(PUBLIC_DIR, 'vendor'), { recursive: true });
  await copyFile(dashjs, path.join(PUBLIC_DIR, 'vendor/dash.all.min.js'));
}
