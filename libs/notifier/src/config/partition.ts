export const AWS_PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'] as const;
export type AwsPartition = (typeof AWS_PARTITIONS)[number];

/** The partition a region belongs to, from its name: cn-north-1 is aws-cn, us-gov-west-1 is aws-us-gov. */
export function partitionForRegion(region: string): AwsPartition {
  if (region.startsWith('cn-')) {
    return 'aws-cn';
  }
  if (region.startsWith('us-gov-')) {
    return 'aws-us-gov';
  }
  return 'aws';
}

function consoleHost(partition: AwsPartition): string {
  switch (partition) {
    case 'aws':
      return 'console.aws.amazon.com';
    case 'aws-cn':
      return 'console.amazonaws.cn';
    case 'aws-us-gov':
      return 'console.amazonaws-us-gov.com';
    default: {
      const _exhaustive: never = partition;
      throw new Error(`Unknown partition ${String(_exhaustive)}`);
    }
  }
}

function signInDomain(partition: AwsPartition): string {
  switch (partition) {
    case 'aws':
      return 'signin.aws.amazon.com';
    case 'aws-cn':
      return 'signin.amazonaws.cn';
    case 'aws-us-gov':
      return 'signin.amazonaws-us-gov.com';
    default: {
      const _exhaustive: never = partition;
      throw new Error(`Unknown partition ${String(_exhaustive)}`);
    }
  }
}

/** The account's own sign-in page: an IAM user signs in to that account there, whichever account the console had open. */
export function accountSignInUrl(partition: AwsPartition, accountId: string): string {
  if (!/^\d{12}$/.test(accountId)) {
    throw new Error(`Not an AWS account id: ${JSON.stringify(accountId)}`);
  }
  return `https://${accountId}.${signInDomain(partition)}/console`;
}

/** The IAM console page where the user's access keys are rotated. */
export function securityCredentialsUrl(partition: AwsPartition, userName: string): string {
  return `https://${consoleHost(partition)}/iam/home#/users/details/${encodeURIComponent(userName)}?section=security_credentials`;
}
