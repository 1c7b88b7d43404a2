/**
 * `npm run build` emits the origin for production, where `npm ci --omit=dev` installs only
 * `dependencies`. This walks the run-time import graph from the build's entry points (the files
 * in tsconfig.build.json; `import type` is erased by the emit, so it does not count) and checks that every
 * package it reaches is a dependency, so the built origin cannot fail in production on a module
 * that only development installs have.
 */
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

function buildEntryPoints(): string[] {
  const configPath = path.join(root, 'tsconfig.build.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath).fileNames;
}

/** Specifiers `file` loads at run time: static and dynamic imports, re-exports; `import type` is erased. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) specifiers.push(argument.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Every package the graph from `entries` loads at run time, with one file that imports it. */
function packagesReached(entries: string[]): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [...entries];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('.')) queue.push(path.resolve(path.dirname(file), specifier));
      else if (!isBuiltin(specifier)) packages.set(packageName(specifier), path.relative(root, file));
    }
  }
  return packages;
}

describe('the production build of the origin', () => {
  it('loads at run time only packages listed in dependencies, never devDependencies', () => {
    const entries = buildEntryPoints();
    expect(entries.map((file) => path.relative(root, file))).toContain('origin/src/main.ts');
    const reached = packagesReached(entries);
    // The walk really reaches the origin's packages (a broken walk would find none and pass).
    expect([...reached.keys()]).toEqual(expect.arrayContaining(['hono', 'postgres', 'cassandra-driver', 'kafkajs']));
    const missing = [...reached].filter(([name]) => !(name in pkg.dependencies)).map(([n, from]) => `${n} (${from})`);
    expect(missing).toEqual([]);
  });
});
