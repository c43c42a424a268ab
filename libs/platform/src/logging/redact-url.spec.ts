import { redactRequestUrl, redactUserinfo } from './redact-url';

describe(redactUserinfo.name, () => {
  it.each([
    ['http://user:pass@127.0.0.1:4566', 'http://[redacted]@127.0.0.1:4566'],
    [
      'endpoint https://token@iam.example.com/path?q=1 failed',
      'endpoint https://[redacted]@iam.example.com/path?q=1 failed',
    ],
    ['"ftp://a:b@h" and http://c@d', '"ftp://[redacted]@h" and http://[redacted]@d'],
    ['http://127.0.0.1:4566/a@b', 'http://127.0.0.1:4566/a@b'],
    ['no url here, mail@example.com', 'no url here, mail@example.com'],
  ])('%s → %s', (text, expected) => {
    expect(redactUserinfo(text)).toBe(expected);
  });
});

describe(redactRequestUrl.name, () => {
  const shown = new Set(['hours', 'include_inactive']);

  it.each([
    ['/v1/x?hours=24&include_inactive=true', '/v1/x?hours=24&include_inactive=true'],
    ['/v1/x?hours=24&access_token=abc', '/v1/x?hours=24&access_token=[redacted]'],
    ['/v1/x?secret-in-a-bare-key', '/v1/x?[redacted]'],
    ['/v1/x?%68ours=24&token=a%3Db', '/v1/x?%68ours=24&token=[redacted]'],
    ['/v1/x?hours=1&&', '/v1/x?hours=1&&'],
    ['/health/live', '/health/live'],
    ['http://u:p@host/v1/x?k=v', 'http://[redacted]@host/v1/x?k=[redacted]'],
  ])('%s → %s', (url, expected) => {
    expect(redactRequestUrl(url, shown)).toBe(expected);
  });

  it('redacts every value when no parameter is shown', () => {
    expect(redactRequestUrl('/a?hours=1&b=2')).toBe('/a?hours=[redacted]&b=[redacted]');
  });
});
