/**
 * Conditional requests (RFC 9110 §13): entity tags, their strong and weak comparison, and the
 * evaluation of If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range in
 * the order of §13.2.2. Pure: the caller supplies the method, the request's header fields and
 * the selected representation's validators, and turns the outcome into a response.
 *
 * Malformed input never throws. A list member that is not an entity-tag (`If-None-Match: abc`,
 * an unquoted tag, a stray `*` inside a list) matches nothing, so an If-Match made only of such
 * members fails (412) and such an If-None-Match passes (a full response, always safe). Dates
 * that are not an HTTP-date are ignored, as §13.1.3 and §13.1.4 require. An If-Range that is
 * neither one entity-tag nor one HTTP-date is false: the Range is ignored and the whole
 * representation is sent.
 */
import { parseHttpDate, toHttpDatePrecision } from './http-date.ts';

/** An entity-tag (RFC 9110 §8.8.3): `opaque` is what lies between the quotes. */
export interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** What the server knows of the selected representation. */
export interface Validators {
  /** Its ETag field value, e.g. `"abc"` or `W/"abc"`. */
  etag?: string;
  /** Its last modification time, ms since the epoch (compared at whole seconds). */
  lastModified?: number;
}

/** The parts of a request preconditions read (a `Request` fits). */
export interface ConditionalRequest {
  method: string;
  headers: { get(name: string): string | null };
}

/**
 * What to answer: `precondition-failed` is a 412, `not-modified` a 304; `ranged` means process
 * the Range header (206 or 416), `full` means send the selected representation whole (200).
 */
export type PreconditionOutcome = 'precondition-failed' | 'not-modified' | 'ranged' | 'full';

export interface EvaluateOptions {
  /** For RFC 850 two-digit years and the strength of a Last-Modified date (default now). */
  now?: number;
}

// etagc = %x21 / %x23-7E / obs-text; W/ is case-sensitive. Commas may appear inside the quotes.
const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)"/y;
const OWS = /[ \t]*/y;

/** Exactly one entity-tag (surrounding whitespace allowed), or undefined. */
export function parseEntityTag(value: string): EntityTag | undefined {
  const text = value.replace(/^[ \t]+|[ \t]+$/g, '');
  ENTITY_TAG.lastIndex = 0;
  const match = ENTITY_TAG.exec(text);
  if (!match || ENTITY_TAG.lastIndex !== text.length) return undefined;
  return { weak: match[1] !== undefined, opaque: match[2]! };
}

/**
 * The entity-tags of an If-Match / If-None-Match field value: `'*'` when the value is exactly
 * `*`, else every well-formed member of the `#entity-tag` list (empty members are allowed by
 * RFC 9110 §5.6.1; malformed ones are skipped up to the next comma outside quotes).
 */
export function parseEntityTagList(value: string): EntityTag[] | '*' {
  if (value.replace(/^[ \t]+|[ \t]+$/g, '') === '*') return '*';
  const tags: EntityTag[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c === ' ' || c === '\t' || c === ',') {
      i++;
      continue;
    }
    ENTITY_TAG.lastIndex = i;
    const match = ENTITY_TAG.exec(value);
    if (match) {
      OWS.lastIndex = ENTITY_TAG.lastIndex;
      OWS.exec(value);
      const next = OWS.lastIndex;
      if (next === value.length || value[next] === ',') {
        tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
        i = next;
        continue;
      }
    }
    i = afterNextComma(value, i);
  }
  return tags;
}

/** RFC 9110 §8.8.3.2: both strong and character-for-character the same. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** RFC 9110 §8.8.3.2: the same opaque-tag, either or both weak. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/**
 * RFC 9110 §13.2.2 for a request on a resource whose current representation has `current`
 * validators (null: the resource has none, e.g. before a create). Call it only once the request
 * would otherwise succeed (§13.2.1: authentication and a 404 come first).
 */
export function evaluatePreconditions(
  request: ConditionalRequest,
  current: Validators | null,
  options: EvaluateOptions = {},
): PreconditionOutcome {
  const now = options.now ?? Date.now();
  const header = (name: string) => request.headers.get(name) ?? undefined;
  const method = request.method.toUpperCase();
  const safe = method === 'GET' || method === 'HEAD';
  const etag = current?.etag !== undefined ? parseEntityTag(current.etag) : undefined;
  const lastModified = current?.lastModified !== undefined ? toHttpDatePrecision(current.lastModified) : undefined;

  // 1. If-Match, else 2. If-Unmodified-Since (ignored when If-Match is present).
  const ifMatch = header('if-match');
  if (ifMatch !== undefined) {
    if (!ifMatchHolds(ifMatch, current, etag)) return 'precondition-failed';
  } else {
    const since = dateOf(header('if-unmodified-since'), now);
    // A resource without a modification date: §13.1.4 lets the server ignore the field.
    if (since !== undefined && lastModified !== undefined && lastModified > since) return 'precondition-failed';
  }

  // 3. If-None-Match, else 4. If-Modified-Since (GET and HEAD only).
  const ifNoneMatch = header('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (!ifNoneMatchHolds(ifNoneMatch, current, etag)) return safe ? 'not-modified' : 'precondition-failed';
  } else if (safe) {
    const since = dateOf(header('if-modified-since'), now);
    if (since !== undefined && lastModified !== undefined && lastModified <= since) return 'not-modified';
  }

  // 5. If-Range, only with a Range on a GET (the one method RFC 9110 defines ranges for, §14.2).
  if (method !== 'GET' || header('range') === undefined) return 'full';
  const ifRange = header('if-range');
  if (ifRange === undefined) return 'ranged';
  const strongDate = current?.lastModified !== undefined && current.lastModified + 1000 <= now;
  return ifRangeHolds(ifRange, etag, strongDate ? lastModified : undefined, now) ? 'ranged' : 'full';
}

/** §13.1.1: `*` holds when a representation exists; a list when one member matches strongly. */
function ifMatchHolds(value: string, current: Validators | null, etag: EntityTag | undefined): boolean {
  const tags = parseEntityTagList(value);
  if (tags === '*') return current !== null;
  return etag !== undefined && tags.some((tag) => strongMatch(tag, etag));
}

/** §13.1.2: `*` holds when no representation exists; a list when no member matches weakly. */
function ifNoneMatchHolds(value: string, current: Validators | null, etag: EntityTag | undefined): boolean {
  const tags = parseEntityTagList(value);
  if (tags === '*') return current === null;
  return etag === undefined || !tags.some((tag) => weakMatch(tag, etag));
}

/**
 * §13.1.5: a strong entity-tag that matches strongly, or an HTTP-date exactly equal to
 * `lastModified`, given only when it is a strong validator (§8.8.2.2: modified at least one
 * second ago, so the representation cannot have changed again within the second it names).
 */
function ifRangeHolds(value: string, etag: EntityTag | undefined, lastModified: number | undefined, now: number) {
  const text = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (text.startsWith('"') || text.startsWith('W/')) {
    const tag = parseEntityTag(text);
    return tag !== undefined && etag !== undefined && strongMatch(tag, etag);
  }
  const date = parseHttpDate(text, now);
  return date !== undefined && date === lastModified;
}

function dateOf(value: string | undefined, now: number): number | undefined {
  return value === undefined ? undefined : parseHttpDate(value, now);
}

/** The index after the next comma that is not inside a quoted string (or the end). */
function afterNextComma(value: string, from: number): number {
  let quoted = false;
  for (let i = from; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) return i + 1;
  }
  return value.length;
}
