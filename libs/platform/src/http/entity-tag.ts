import { createHash } from 'node:crypto';

/** A strong entity tag for these exact bytes (RFC 9110 8.8.3): the same bytes always get the same tag. */
export function entityTagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url')}"`;
}

/** etagc (RFC 9110 8.8.3): %x21 / %x23-7E / obs-text. */
const ETAGC = /^[\x21\x23-\x7e\x80-\xff]*$/;

/**
 * The opaque tags an If-None-Match field lists (RFC 9110 13.1.2), weak or strong alike since the field uses the
 * weak comparison: `W/"a"` and `"a"` both give `"a"`. `'*'` for the wildcard; undefined when the field is not
 * a valid list, which a server may then ignore (it answers as if the field were absent). Several field lines
 * arrive joined by commas, as Node joins them.
 */
export function parseIfNoneMatch(field: string): '*' | string[] | undefined {
  const text = field.trim();
  if (text === '*') {
    return '*';
  }
  const tags: string[] = [];
  let i = 0;
  for (;;) {
    // #rule: empty elements and optional whitespace around the commas are allowed
    while (i < text.length && (text[i] === ',' || text[i] === ' ' || text[i] === '\t')) {
      i++;
    }
    if (i >= text.length) {
      break;
    }
    if (text.startsWith('W/', i)) {
      i += 2;
    }
    if (text[i] !== '"') {
      return undefined;
    }
    const end = text.indexOf('"', i + 1);
    if (end < 0) {
      return undefined;
    }
    const tag = text.slice(i, end + 1);
    if (!ETAGC.test(tag.slice(1, -1))) {
      return undefined;
    }
    tags.push(tag);
    i = end + 1;
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) {
      i++;
    }
    if (i < text.length && text[i] !== ',') {
      return undefined;
    }
  }
  return tags.length > 0 ? tags : undefined;
}

/**
 * Whether If-None-Match is false for a representation tagged `etag` (a strong tag from {@link entityTagOf}):
 * the field is `*` (a representation exists) or lists the tag, weak or not. Then the server answers 304 with the
 * tag and no body instead of the representation. A malformed field is ignored.
 */
export function ifNoneMatchHits(field: string | string[] | undefined, etag: string): boolean {
  if (field === undefined) {
    return false;
  }
  const parsed = parseIfNoneMatch(Array.isArray(field) ? field.join(', ') : field);
  if (parsed === undefined) {
    return false;
  }
  return parsed === '*' || parsed.includes(etag);
}
