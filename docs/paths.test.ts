/**
 * Every repository path the README and docs/ name must exist, so a rename that forgets the docs
 * fails here. The rule, per backtick span (fenced code blocks are commands and are skipped):
 *
 * - It names a path when it contains `/` or ends in a known file extension, and has no spaces
 *   (`npm run media`), no scheme (`https://…`), no leading `/` (routes such as `/v1/home`), no
 *   leading `@` (npm packages), is no MIME type (`application/json`) and holds no placeholder or
 *   template (`<id>`, `{titleId}`, `$VAR`, `…`, `=`, `:`, `|`).
 * - Paths are relative to the repository root. A path may also be relative to a directory named
 *   earlier in the same table row, list item or paragraph (`workers/edge/src/`: `app.ts`,
 *   `routes/*`), or to the directory of a file named earlier there.
 * - `*` and `**` are globs: they must match at least one file or folder. A trailing `/` must be a folder.
 * - Paths under a folder that `.gitignore` lists (`.edgeflix/`, `.stack/`, `bench/results/`) are
 *   made at run time or by a build, not stored in the repository: they are not checked.
 *
 * Relative Markdown links (`[deploy](docs/deploy.md)`, `[metrics](operations.md#metrics)`) must
 * point at an existing file, and an anchor at one of that page's headings.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const EXTENSIONS = /\.(ts|js|json|md|toml|sql|cql|html|css|ya?ml|xml|properties|example|sh)$/;
const MIME = /^(application|text|video|audio|image|multipart)\//;
const NOT_A_PATH = /[\s<>{}$…=:|]|^\/|^@|:\/\//;

/** One table row, list item or paragraph, with the backtick spans and link targets in it. */
interface Unit {
  spans: Named[];
  links: Named[];
}

/** A backtick span or a link target, and the line it is on. */
interface Named {
  text: string;
  line: number;
}

/** Splits Markdown into units, skipping fenced code blocks. */
function units(markdown: string): Unit[] {
  const out: Unit[] = [];
  let current: Unit | undefined;
  let fenced = false;
  markdown.split('\n').forEach((text, i) => {
    if (/^\s*(```|~~~)/.test(text)) {
      fenced = !fenced;
      current = undefined;
      return;
    }
    if (fenced || text.trim() === '') {
      current = undefined;
      return;
    }
    if (!current || /^\s*(\||[-*+] |\d+\. |#)/.test(text)) {
      current = { spans: [], links: [] };
      out.push(current);
    }
    const line = i + 1;
    for (const m of text.matchAll(/`([^`]+)`/g)) current.spans.push({ text: m[1] ?? '', line });
    for (const m of text.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      current.links.push({ text: m[1] ?? '', line });
    }
  });
  return out;
}

/** Whether a backtick span names a repository path (see the rule above). */
function isPathLike(span: string): boolean {
  if (NOT_A_PATH.test(span) || MIME.test(span)) return false;
  return span.includes('/') || EXTENSIONS.test(span);
}

function ignoredFolders(): string[] {
  return readFileSync(path.join(ROOT, '.gitignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.endsWith('/') && !line.startsWith('#') && !line.includes('*'))
    .map((line) => line.replace(/^\//, ''));
}

/** Every file and folder in the repository (relative, folders with a trailing `/`), ignored ones left out. */
function repositoryEntries(ignored: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}${entry.name}${entry.isDirectory() ? '/' : ''}`;
      if (entry.name === '.git' || ignored.some((i) => rel === i || rel.endsWith(`/${i}`))) continue;
      out.push(rel);
      if (entry.isDirectory()) walk(rel);
    }
  };
  walk('');
  return out;
}

const GLOB_PARTS: Record<string, string> = { '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*' };

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*\/|\*\*|\*)/)
    .map((part) => GLOB_PARTS[part] ?? part.replace(/[.+?^()[\]\\]/g, '\\$&'))
    .join('');
  return new RegExp(`^${body}/?$`);
}

/** Where a named path is in the repository (`bases` are folders it may be relative to), or undefined. */
function resolvePath(
  name: string,
  bases: string[],
  repo: { entries: string[]; ignored: string[]; exists: (rel: string) => 'file' | 'dir' | undefined },
): string | undefined {
  const candidates = ['', ...bases].map((base) => path.posix.normalize(`${base}${name}`).replace(/^\.\//, ''));
  return candidates.find((candidate) => {
    if (repo.ignored.some((folder) => candidate === folder || candidate.startsWith(folder))) return true;
    if (candidate.includes('*')) {
      const re = globToRegExp(candidate);
      return repo.entries.some((entry) => re.test(entry) && (!candidate.endsWith('/') || entry.endsWith('/')));
    }
    const kind = repo.exists(candidate.replace(/\/$/, ''));
    return kind !== undefined && (!candidate.endsWith('/') || kind === 'dir');
  });
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as `-`. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} +(.+)$/gm)) {
    anchors.add(
      (m[1] ?? '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return anchors;
}

function realRepository() {
  const ignored = ignoredFolders();
  return {
    ignored,
    entries: repositoryEntries(ignored),
    read: (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8'),
    exists(rel: string): 'file' | 'dir' | undefined {
      const full = path.join(ROOT, rel);
      if (!existsSync(full)) return undefined;
      return statSync(full).isDirectory() ? 'dir' : 'file';
    },
  };
}

/** The missing paths of one Markdown file, as `file:line: path`. */
function missingPaths(file: string, markdown: string, repo = realRepository()): string[] {
  const here = path.posix.dirname(file) === '.' ? '' : `${path.posix.dirname(file)}/`;
  const problems: string[] = [];
  for (const unit of units(markdown)) {
    const bases: string[] = [];
    for (const { text: span, line } of unit.spans.filter((s) => isPathLike(s.text))) {
      const found = resolvePath(span, bases, repo);
      if (found === undefined) {
        problems.push(`${file}:${line}: \`${span}\``);
        continue;
      }
      const kind = found.includes('*') ? undefined : repo.exists(found.replace(/\/$/, ''));
      if (kind === 'dir') bases.push(found.endsWith('/') ? found : `${found}/`);
      if (kind === 'file') bases.push(`${path.posix.dirname(found)}/`);
    }
    for (const { text: link, line } of unit.links) {
      if (/^[a-z]+:/i.test(link)) continue;
      // Markdown resolves a link from the page's own folder, not from the repository root.
      const [page = '', anchor] = link.split('#');
      const target = page === '' ? file : path.posix.normalize(`${here}${page}`);
      if (page !== '' && repo.exists(target) !== 'file') problems.push(`${file}:${line}: link ${link}`);
      else if (
        anchor &&
        target.endsWith('.md') &&
        !headingAnchors(page === '' ? markdown : repo.read(target)).has(anchor)
      ) {
        problems.push(`${file}:${line}: link ${link} (no such heading)`);
      }
    }
  }
  return problems;
}

const documents = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('the documentation names only paths that exist', () => {
  it.each(documents)('%s', (file) => {
    expect(missingPaths(file, readFileSync(path.join(ROOT, file), 'utf8'))).toEqual([]);
  });
});

describe('the path rule', () => {
  it('counts spans with a slash or a file extension, and not commands, routes, packages, MIME types or placeholders', () => {
    expect(['core/', 'core/log.ts', 'wrangler.toml', 'routes/*', '.ci/run'].filter(isPathLike)).toHaveLength(5);
    const notPaths = [
      'npm run media',
      '/v1/home',
      'https://example.com/a.md',
      '@cloudflare/vitest-pool-workers',
      'application/problem+json',
      'media/<titleId>/init.mp4',
      '{profileId}:holdout',
      'STORE_MODE',
    ];
    expect(notPaths.filter(isPathLike)).toEqual([]);
  });

  it('reports a path that does not exist, with its line, and accepts paths relative to a folder named before it', () => {
    const markdown = [
      '- `workers/edge/src/`: `app.ts` mounts `routes/*`, `http/auth.ts` verifies tokens.',
      '',
      'The buffer lives in `workers/edge/src/no-such-file.ts` and `app.ts` is not at the root.',
      '',
      '```sh',
      'cat `missing/inside/a/fence.ts`',
      '```',
      'Run time output such as `.edgeflix/media/` or `bench/results/latest.json` is not stored.',
    ].join('\n');
    expect(missingPaths('README.md', markdown)).toEqual([
      'README.md:3: `workers/edge/src/no-such-file.ts`',
      'README.md:3: `app.ts`',
    ]);
  });

  it('resolves links from the page that holds them, and checks their heading anchors', () => {
    expect(
      missingPaths('docs/x.md', '[api](api.md), [readme](../README.md#run-it), [web](https://x.test/y.md)'),
    ).toEqual([]);
    expect(missingPaths('docs/x.md', 'See [the readme](README.md).')).toEqual(['docs/x.md:1: link README.md']);
    expect(missingPaths('README.md', '[api](docs/api.md#no-such-section)')).toEqual([
      'README.md:1: link docs/api.md#no-such-section (no such heading)',
    ]);
    expect(missingPaths('docs/x.md', '# Top\n\n[up](#top), [down](#bottom)')).toEqual([
      'docs/x.md:3: link #bottom (no such heading)',
    ]);
  });
});
