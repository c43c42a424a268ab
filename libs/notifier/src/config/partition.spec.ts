import { accountSignInUrl, partitionForRegion, securityCredentialsUrl } from './partition';

describe(accountSignInUrl.name, () => {
  it.each([
    ['aws', 'https://123456789012.signin.aws.amazon.com/console'],
    ['aws-cn', 'https://123456789012.signin.amazonaws.cn/console'],
    ['aws-us-gov', 'https://123456789012.signin.amazonaws-us-gov.com/console'],
  ] as const)('gives the account-specific sign-in page of %s', (partition, url) => {
    expect(accountSignInUrl(partition, '123456789012')).toBe(url);
  });

  it('refuses anything but a 12-digit account id, so nothing else lands in a host name', () => {
    expect(() => accountSignInUrl('aws', 'evil.example.com/x')).toThrow('Not an AWS account id: "evil.example.com/x"');
  });
});

describe(securityCredentialsUrl.name, () => {
  it('url-encodes the user name', () => {
    expect(securityCredentialsUrl(partitionForRegion('cn-north-1'), 'a+b@c')).toBe(
      'https://console.amazonaws.cn/iam/home#/users/details/a%2Bb%40c?section=security_credentials',
    );
  });
});
