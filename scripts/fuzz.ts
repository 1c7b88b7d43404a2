/**
 * `npm run fuzz`: schemathesis (from PyPI, in a project-local venv) against the edge and the
 * origin on the real stack, each driven by its own OpenAPI document. A throwaway database,
 * keyspace and topic prefix, seeded like the tests'; the origin on a free port, the edge under
 * `wrangler dev` on another. Valid credentials go in through a small proxy in front of each: a
 * profile token (an account token where only that is accepted) at the edge; at the origin a
 * service credential minted for each request's method and path, or the operator key.
 *
 * Checks: no 5xx, every status, content type, header and body as documented; each run bounded
 * by --max-examples and --max-time. The seed is printed (FUZZ_SEED reruns one). Exit 1 on any
 * failure.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signServiceToken } from '../core/tokens.ts';
import { listen, realStackOrigin } from '../origin/test/support/origin.ts';
import { OPENAPI_PATH } from '../origin/src/openapi.ts';
import { freePort, startEdge } from './edge-process.ts';
import { stackUp } from './stack/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VENV = path.join(root, '.venv');
const SCHEMATHESIS_VERSION = '4.32.5';
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
].join(',');
const MAX_EXAMPLES = process.env['FUZZ_MAX_EXAMPLES'] ?? '25';
/** Seconds per target (edge, origin). */
const MAX_TIME = process.env['FUZZ_MAX_SECONDS'] ?? '120';
const DEMO = { email: 'demo@edgeflix.test', password: 'edgeflix-demo' };
const say = (line: string) => process.stdout.write(`[fuzz] ${line}\n`);

function run(command: string, args: string[], cwd = root): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * Runs a command with its output in a log file. schemathesis closes with a pytest-style banner
 * (`=== 2 warnings in 120s ===`) that log readers take for a test run's summary, so its report stays in
 * `.edgeflix/fuzz-<target>.log` and the terminal gets the counts without the banner rules.
 */
function runLogged(command: string, args: string[], cwd: string, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile);
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (code) => log.end(() => resolve(code ?? 1)));
  });
}

/**
 * The log's lines without pytest-style `====` rules and without its closing `N warnings in 120s`
 * (the log keeps both): all of them on failure, else the counts.
 */
async function reportLines(logFile: string, failed: boolean): Promise<string[]> {
  const lines = (await readFile(logFile, 'utf8'))
    .split('\n')
    .map((line) => line.replace(/[=_]{3,}/g, '').trim())
    .filter((line) => line !== '' && !/\bin [\d.]+s$/.test(line));
  return failed
    ? lines
    : lines.filter((line) => /\b(cases?|operations?|passed|failed|errors?|warnings?)\b/i.test(line));
}

/** schemathesis in .venv (git-ignored), installed on first use at the pinned version. */
async function ensureSchemathesis(): Promise<string> {
  const bin = path.join(VENV, 'bin/schemathesis');
  if (existsSync(bin)) return bin;
  const python = process.env['FUZZ_PYTHON'] ?? 'python3';
  say(`installing schemathesis ${SCHEMATHESIS_VERSION} into .venv (${python} -m venv, pip)`);
  if ((await run(python, ['-m', 'venv', VENV])) !== 0) throw new Error(`${python} -m venv failed`);
  const pip = path.join(VENV, 'bin/pip');
  if ((await run(pip, ['install', '-q', `schemathesis==${SCHEMATHESIS_VERSION}`])) !== 0) {
    throw new Error('pip install schemathesis failed');
  }
  return bin;
}

/**
 * A pass-through proxy to `target` that sets each request's Authorization header. The body is read
 * whole first and forwarded as exactly those bytes, since a service credential binds them (and is
 * good for one request only, so each request gets a fresh one).
 */
async function authProxy(
  target: string,
  authorization: (method: string, pathAndQuery: string, body: Uint8Array) => Promise<string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    // A client that hangs up mid-answer ends that exchange, not the run.
    req.on('error', () => res.destroy());
    res.on('error', () => undefined);
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const headers: http.OutgoingHttpHeaders = {
        ...req.headers,
        host: to.host,
        authorization: await authorization(req.method!, req.url!, body),
      };
      delete headers['transfer-encoding'];
      if (body.length > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = body.length;
      // A fresh connection per request: a pooled one can be closed by the server's keep-alive
      // timeout just as a request goes out on it, a reset that is the proxy's, not the API's.
      const upstream = http.request(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers, agent: false },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(599);
        res.end();
      });
      // A server may answer before it has read the whole body (a 413) and close the connection:
      // the rest of the write then fails on a socket the answered request no longer listens to.
      upstream.on('socket', (socket) => socket.on('error', () => undefined));
      upstream.end(body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(599);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

async function fetchJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function main(): Promise<number> {
  const schemathesis = await ensureSchemathesis();
  Object.assign(process.env, await stackUp(undefined, (line) => say(`stack: ${line}`)));
  const seed = process.env['FUZZ_SEED'] ?? String(Math.floor(Math.random() * 2 ** 31));
  say(`seed ${seed} (FUZZ_SEED=${seed} npm run fuzz reruns it)`);

  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    const real = await realStackOrigin('fuzz');
    cleanup.unshift(() => real.stop());
    const origin = await listen(real.origin.app);
    cleanup.unshift(() => origin.close());
    const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-fuzz-'));
    cleanup.push(() => rm(persist, { recursive: true, force: true }));
    say(`origin on ${origin.url}; starting the edge (wrangler dev)`);
    const edge = await startEdge({
      port: await freePort(),
      originUrl: origin.url,
      secrets: {
        AUTH_PUBLIC_JWKS: JSON.stringify(real.keys.publicJwks),
        SERVICE_TOKEN_SECRET: real.keys.serviceSecret,
        SEGMENT_SIGNING_KEYS: real.keys.segmentSigningKeys,
      },
      // The fuzzer sends far more than a person would; the limiter has tests of its own.
      vars: {
        LOG_LEVEL: 'error',
        RATE_LIMITS: JSON.stringify({ enabled: false }),
      },
      persistTo: persist,
      stdio: 'ignore',
    });
    cleanup.unshift(() => edge.stop());

    // Real credentials: the demo account's token, and a profile token of its adult profile.
    const login = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO) };
    const { token: accountToken } = await fetchJson<{ token: string }>(`${edge.url}/v1/auth/login`, login);
    const { profiles } = await fetchJson<{ profiles: { id: string; maturityLevel: number }[] }>(
      `${edge.url}/v1/profiles`,
      { headers: { authorization: `Bearer ${accountToken}` } },
    );
    const adult = profiles.reduce((a, b) => (b.maturityLevel > a.maturityLevel ? b : a));
    const { token: profileToken } = await fetchJson<{ token: string }>(`${edge.url}/v1/profiles/${adult.id}/select`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accountToken}` },
    });
    const claims = JSON.parse(Buffer.from(profileToken.split('.')[1]!, 'base64url').toString()) as {
      sub: string;
      pid: string;
      mat: number;
    };

    const edgeProxy = await authProxy(edge.url, async (method, target) =>
      /^\/v1\/profiles\/[^/]+\/select/.test(target) ? `Bearer ${accountToken}` : `Bearer ${profileToken}`,
    );
    cleanup.unshift(() => edgeProxy.close());
    const originProxy = await authProxy(origin.url, async (method, target, body) => {
      if (target.startsWith('/operator/') || target.startsWith('/metrics')) return `Bearer ${real.keys.operatorKey}`;
      const credential = await signServiceToken(
        { htm: method, htu: target, rid: 'fuzz', sub: claims.sub, pid: claims.pid, mat: claims.mat },
        real.keys.serviceSecret,
        { body },
      );
      return `Bearer ${credential}`;
    });
    cleanup.unshift(() => originProxy.close());

    const documents = await mkdtemp(path.join(tmpdir(), 'edgeflix-fuzz-docs-'));
    cleanup.push(() => rm(documents, { recursive: true, force: true }));
    const edgeDoc = path.join(documents, 'edge.json');
    const originDoc = path.join(documents, 'origin.json');
    await writeFile(edgeDoc, JSON.stringify(await fetchJson(`${edge.url}/openapi.json`)));
    await writeFile(
      originDoc,
      JSON.stringify(
        await fetchJson(`${origin.url}${OPENAPI_PATH}`, {
          headers: { authorization: `Bearer ${real.keys.operatorKey}` },
        }),
      ),
    );

    const logs = path.join(root, '.edgeflix');
    await mkdir(logs, { recursive: true });
    let failed = 0;
    for (const [name, doc, url] of [
      ['edge', edgeDoc, edgeProxy.url],
      ['origin', originDoc, originProxy.url],
    ] as const) {
      const logFile = path.join(logs, `fuzz-${name}.log`);
      say(`${name}: schemathesis run (seed ${seed}, ≤ ${MAX_EXAMPLES} cases per operation, ≤ ${MAX_TIME} s)`);
      say(`${name}: its report goes to ${path.relative(root, logFile)}`);
      const code = await runLogged(
        schemathesis,
        [
          'run',
          doc,
          '--url',
          url,
          '--checks',
          CHECKS,
          '--phases',
          'examples,coverage,fuzzing',
          '--max-examples',
          MAX_EXAMPLES,
          '--max-time',
          MAX_TIME,
          '--seed',
          seed,
          // One worker: with threads, hypothesis's lambda descriptions fail now and then in CPython's
          // parser ("AST constructor recursion depth mismatch"), an error the run counts.
          '--workers',
          '1',
          '--request-timeout',
          '20',
          '--max-response-time',
          '15',
          '--generation-database',
          'none',
          // Signing out (this device, every device, or by changing the password) would end the
          // session whose tokens the run itself uses; those routes have their own tests.
          '--exclude-path-regex',
          '^/v1/(auth/logout(-all)?|account/password)$',
          '--no-color',
          // In the temporary folder: schemathesis keeps a cache of what it found in its working directory.
        ],
        documents,
        logFile,
      );
      for (const line of await reportLines(logFile, code !== 0)) say(`${name}: ${line}`);
      say(`${name}: schemathesis exited ${code}`);
      if (code !== 0) failed += 1;
    }
    say(failed === 0 ? 'no failures' : `failures in ${failed} of 2 targets (seed ${seed})`);
    return failed === 0 ? 0 : 1;
  } finally {
    for (const step of cleanup) await step().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[fuzz] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
