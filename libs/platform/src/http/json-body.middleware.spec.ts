import { parseMediaType } from './json-body.middleware';

describe(parseMediaType.name, () => {
  it.each([
    ['application/json', 'application/json', {}],
    ['Application/JSON; Charset=UTF-8', 'application/json', { charset: 'UTF-8' }],
    ['application/json ; charset="utf-8"', 'application/json', { charset: 'utf-8' }],
    ['application/json;;', 'application/json', {}],
    ['text/plain; a=1; b="x\\"y"', 'text/plain', { a: '1', b: 'x"y' }],
  ])('reads %p', (header, type, parameters) => {
    const parsed = parseMediaType(header);
    expect(parsed?.type).toBe(type);
    expect(Object.fromEntries(parsed?.parameters ?? [])).toEqual(parameters);
  });

  it.each(['application/json;;;=', 'application/json; charset', 'application/json; =utf-8', 'json', 'a/b/c', ''])(
    'refuses %p',
    (header) => {
      expect(parseMediaType(header)).toBeUndefined();
    },
  );
});
