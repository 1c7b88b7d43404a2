/** A minimal XML writer: elements with attributes and children, every value escaped. */

export interface XmlElement {
  name: string;
  attrs: Readonly<Record<string, string | number | boolean | undefined>>;
  children: readonly (XmlElement | string)[];
}

/** An element; attributes whose value is `undefined` are left out, text children are escaped. */
export function el(
  name: string,
  attrs: XmlElement['attrs'] = {},
  children: readonly (XmlElement | string | undefined | false)[] = [],
): XmlElement {
  return { name, attrs, children: children.filter((c): c is XmlElement | string => c !== undefined && c !== false) };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text or an attribute value; drops characters XML 1.0 cannot carry at all. */
export function escapeXml(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** The document: an XML declaration and the indented element tree. */
export function renderXml(root: XmlElement): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  write(root, '', out);
  return `${out.join('\n')}\n`;
}

function write(node: XmlElement, indent: string, out: string[]): void {
  const attrs = Object.entries(node.attrs)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  if (node.children.length === 0) {
    out.push(`${indent}<${node.name}${attrs}/>`);
    return;
  }
  const [only] = node.children;
  if (node.children.length === 1 && typeof only === 'string') {
    out.push(`${indent}<${node.name}${attrs}>${escapeXml(only)}</${node.name}>`);
    return;
  }
  out.push(`${indent}<${node.name}${attrs}>`);
  for (const child of node.children) {
    if (typeof child === 'string') out.push(`${indent}  ${escapeXml(child)}`);
    else write(child, `${indent}  `, out);
  }
  out.push(`${indent}</${node.name}>`);
}
