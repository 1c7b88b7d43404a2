import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { ensureDir, stackSourceDir } from './paths.ts';

/**
 * Renders scripts/stack/conf/<name> with ${KEY} placeholders into `target`. Only UPPER_CASE keys
 * are ours, so the templates stay valid YAML/XML and lowercase ${...} stays the tools' own syntax.
 * Rewritten on every start so edits to the committed template take effect without a reset.
 * An unknown placeholder is a bug in this tooling, so it throws instead of writing it through.
 */
export function renderTemplate(name: string, target: string, vars: Record<string, string | number>): void {
  const source = readFileSync(join(stackSourceDir, 'conf', name), 'utf8');
  const text = source.replace(/\$\{([A-Z0-9_]+)\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`template ${name}: no value for placeholder ${key}`);
    return String(value);
  });
  ensureDir(dirname(target));
  writeFileSync(target, text);
}
