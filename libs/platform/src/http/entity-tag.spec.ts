import { entityTagOf, ifNoneMatchHits, parseIfNoneMatch } from './entity-tag';

describe('entity tags and If-None-Match (RFC 9110)', () => {
  const body = Buffer.from('{"count":1}');
  const tag = entityTagOf(body);

  it('tags the same bytes alike and different bytes differently, as a strong quoted tag', () => {
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(entityTagOf(Buffer.from('{"count":1}'))).toBe(tag);
    expect(entityTagOf(Buffer.from('{"count":2}'))).not.toBe(tag);
  });

  it.each([
    ['"a"', ['"a"']],
    ['W/"a"', ['"a"']],
    ['"a", W/"b" ,"c"', ['"a"', '"b"', '"c"']],
    ['"a,b", "c"', ['"a,b"', '"c"']],
    [' , "a",, ', ['"a"']],
    ['""', ['""']],
    ['*', '*'],
    [' * ', '*'],
  ])('parses %j', (field, expected) => {
    expect(parseIfNoneMatch(field)).toEqual(expected);
  });

  it.each(['a', '"a', 'W/a', 'w/"a"', '"a" "b"', '*, "a"', '"a"x', '', ' ', '"a b"'])(
    'finds %j malformed, so it is ignored',
    (field) => {
      expect(parseIfNoneMatch(field)).toBeUndefined();
      expect(ifNoneMatchHits(field, tag)).toBe(false);
    },
  );

  it('hits on the tag, its weak form, one of several, several field lines, or *', () => {
    expect(ifNoneMatchHits(tag, tag)).toBe(true);
    expect(ifNoneMatchHits(`W/${tag}`, tag)).toBe(true);
    expect(ifNoneMatchHits(`"other", ${tag}`, tag)).toBe(true);
    expect(ifNoneMatchHits(['"other"', `W/${tag}`], tag)).toBe(true);
    expect(ifNoneMatchHits('*', tag)).toBe(true);
  });

  it('misses without the field or with other tags only', () => {
    expect(ifNoneMatchHits(undefined, tag)).toBe(false);
    expect(ifNoneMatchHits('"other", W/"more"', tag)).toBe(false);
    expect(ifNoneMatchHits(tag.slice(0, -2) + '"', tag)).toBe(false);
  });
});
