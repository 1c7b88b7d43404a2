/**
 * Puts dash.js (from npm) next to the web client's files, where the edge serves it as a static
 * asset (`/vendor/dash.all.min.js`), and Swagger UI (from npm) for the API reference at `/docs`
 * (`/vendor/swagger-ui/`). The copies are git-ignored; run before `wrangler dev`.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC_DIR = path.join(root, 'workers/edge/public');
/** Where `/docs` loads Swagger UI from (workers/edge/src/openapi.ts names the same files). */
const SWAGGER_UI_DIR = 'vendor/swagger-ui';

export async function prepareWebAssets(): Promise<void> {
  // The package's "require" export is its UMD build (modern), which defines window.dashjs.
  const dashjs = createRequire(path.join(root, 'package.json')).resolve('dashjs');
  await mkdir(path.join(PUBLIC_DIR, 'vendor'), { recursive: true });
  await copyFile(dashjs, path.join(PUBLIC_DIR, 'vendor/dash.all.min.js'));
  const swaggerUi = path.dirname(createRequire(path.join(root, 'package.json')).resolve('swagger-ui-dist'));
  await mkdir(path.join(PUBLIC_DIR, SWAGGER_UI_DIR), { recursive: true });
  for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
    await copyFile(path.join(swaggerUi, file), path.join(PUBLIC_DIR, SWAGGER_UI_DIR, file));
  }
}
