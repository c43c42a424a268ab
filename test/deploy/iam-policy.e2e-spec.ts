import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';
import { loadAccountsConfig } from '@app/accounts';
import { DEFAULT_MEMBER_ROLE_NAME } from '@app/iam-emulator';
import { loadRemediationConfig } from '@app/remediation';
import { findObject, listFiles, loadManifests, NAMESPACE, repoPath } from './deploy-files';

interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

/** SDK client package -> IAM service prefix of its actions. A new client fails the test until it is mapped. */
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-sesv2': 'ses',
  '@aws-sdk/client-ses': 'ses',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-organizations': 'organizations',
};

/** Operations whose IAM action is not `<prefix>:<OperationName>`. SES v2 SendEmail authorizes as ses:SendEmail. */
const ACTION_OVERRIDES: Record<string, string> = {};

/** SDK credential providers that send a call of their own: the organization mode assumes roles through this one. */
const CREDENTIAL_PROVIDER_CALLS: Record<string, { pkg: string; operation: string }> = {
  fromTemporaryCredentials: { pkg: '@aws-sdk/client-sts', operation: 'AssumeRole' },
};
const CREDENTIAL_PROVIDERS = '@aws-sdk/credential-providers';

/** Calls AWS answers whatever the policy says (an explicit Deny included), so no policy grants them. */
const NEEDS_NO_PERMISSION = new Set(['sts:GetCallerIdentity']);

interface SdkCall {
  file: string;
  pkg: string;
  operation: string;
}

/**
 * Finds the AWS operations a source file can call: `new XxxCommand(...)` and `paginateXxx(...)` where the name is
 * imported (possibly renamed) from an `@aws-sdk/client-*` package. Uses the TypeScript parser, not regexes.
 */
function sdkCallsIn(file: string, text: string): SdkCall[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const imported = new Map<string, { pkg: string; name: string }>();
  for (const statement of source.statements) {
    if (
      ts.isImportDeclaration(statement) &&
      ts.isStringLiteral(statement.moduleSpecifier) &&
      (statement.moduleSpecifier.text.startsWith('@aws-sdk/client-') ||
        statement.moduleSpecifier.text === CREDENTIAL_PROVIDERS)
    ) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          const name = (element.propertyName ?? element.name).text;
          imported.set(element.name.text, { pkg: statement.moduleSpecifier.text, name });
        }
      }
    }
  }
  const calls: SdkCall[] = [];
  const visit = (node: ts.Node): void => {
    const callee =
      ts.isNewExpression(node) || ts.isCallExpression(node)
        ? ts.isIdentifier(node.expression)
          ? node.expression.text
          : undefined
        : undefined;
    const target = callee ? imported.get(callee) : undefined;
    const provided = target?.pkg === CREDENTIAL_PROVIDERS ? CREDENTIAL_PROVIDER_CALLS[target.name] : undefined;
    if (provided && ts.isCallExpression(node)) {
      calls.push({ file, ...provided });
    } else if (target && target.pkg !== CREDENTIAL_PROVIDERS) {
      const command = ts.isNewExpression(node) ? /^(\w+)Command$/.exec(target.name) : null;
      const paginator = ts.isCallExpression(node) ? /^paginate(\w+)$/.exec(target.name) : null;
      const operation = command?.[1] ?? paginator?.[1];
      if (operation) {
        calls.push({ file, pkg: target.pkg, operation });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return calls;
}

function actionFor(call: SdkCall): string {
  const prefix = SERVICE_PREFIX[call.pkg];
  if (!prefix) {
    throw new Error(`${call.file} calls ${call.operation} from ${call.pkg}: add its IAM prefix to SERVICE_PREFIX`);
  }
  return ACTION_OVERRIDES[`${prefix}:${call.operation}`] ?? `${prefix}:${call.operation}`;
}

const productionFiles = [...listFiles(repoPath('apps')), ...listFiles(repoPath('libs'))].filter(
  (file) =>
    file.endsWith('.ts') &&
    !file.endsWith('.spec.ts') &&
    !file.endsWith('.e2e-spec.ts') &&
    !file.endsWith('.testing.ts') &&
    !file.startsWith('libs/iam-emulator/'),
);
const calls = productionFiles.flatMap((file) => sdkCallsIn(file, readFileSync(repoPath(file), 'utf8')));

const compilerOptions = ts.parseJsonConfigFileContent(
  ts.readConfigFile(repoPath('tsconfig.json'), (path) => ts.sys.readFile(path)).config,
  ts.sys,
  repoPath(),
).options;

/**
 * The project's source files an entry point loads, following static and dynamic imports and re-exports through
 * the tsconfig paths (`@app/*`), never into node_modules. Relative to the repo root.
 */
function filesReachedFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [repoPath(entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    const name = relative(repoPath(), file);
    if (seen.has(name)) {
      continue;
    }
    seen.add(name);
    for (const ref of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const resolved = ts.resolveModuleName(ref.fileName, file, compilerOptions, ts.sys).resolvedModule;
      if (resolved && !resolved.isExternalLibraryImport && /(?<!\.d)\.ts$/.test(resolved.resolvedFileName)) {
        queue.push(resolved.resolvedFileName);
      }
    }
  }
  return seen;
}

/** The AWS actions an app's code can send: SDK calls in the files its entry point reaches. */
function actionsReachedFrom(entry: string): string[] {
  const files = filesReachedFrom(entry);
  return [...new Set(calls.filter((call) => files.has(call.file)).map(actionFor))]
    .filter((action) => !NEEDS_NO_PERMISSION.has(action))
    .sort();
}
const toList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
const APPS = ['api', 'notifier', 'remediator'] as const;
type PolicyDocument = { Version: string; Statement: PolicyStatement[] };
const readPolicy = (file: string) => JSON.parse(readFileSync(repoPath(`deploy/aws/${file}`), 'utf8')) as PolicyDocument;
/** The remediator's deletion add-on is attached only with REMEDIATION_DELETE_AFTER_DAYS; checked here as one policy. */
const REMEDIATOR_DELETION = readPolicy('iam-policy-remediator-deletion.json');
const policies = Object.fromEntries(
  APPS.map((app) => {
    const policy = readPolicy(`iam-policy-${app}.json`);
    return [
      app,
      app === 'remediator' ? { ...policy, Statement: [...policy.Statement, ...REMEDIATOR_DELETION.Statement] } : policy,
    ];
  }),
) as Record<(typeof APPS)[number], PolicyDocument>;
const actionsOf = (app: (typeof APPS)[number]) => policies[app].Statement.flatMap((s) => toList(s.Action));

const reached = {
  api: actionsReachedFrom('apps/api/src/main.ts'),
  notifier: actionsReachedFrom('apps/notifier/src/main.ts'),
  remediator: actionsReachedFrom('apps/remediator/src/main.ts'),
};
const WRITES = ['iam:UpdateAccessKey', 'iam:DeleteAccessKey'];

describe('deploy/aws/iam-policy-{api,notifier,remediator}.json', () => {
  it('grant together exactly the AWS actions the three apps can call', () => {
    const used = [...new Set([...reached.api, ...reached.notifier, ...reached.remediator])].sort();
    expect(used).toEqual(expect.arrayContaining(['iam:ListAccessKeys', 'iam:ListUsers', 'ses:SendEmail']));
    expect([...new Set(APPS.flatMap(actionsOf))].sort()).toEqual(used);
  });

  // Which of those an app really sends is checked at run time (iam-policy-per-app.e2e-spec.ts): the files an app
  // loads hold more commands than it sends (the one IAM client also lists tags, for the notifier).
  it.each(APPS)('%s: grants only actions whose SDK calls the app loads', (app) => {
    expect(actionsOf(app).filter((action) => !reached[app].includes(action))).toEqual([]);
  });

  it('follows the imports of an entry point through the tsconfig paths', () => {
    const files = filesReachedFrom('apps/notifier/src/main.ts');
    expect(files).toContain('libs/notifier/src/ses/ses-client.provider.ts');
    expect(files).toContain('libs/iam/src/client/iam-client.provider.ts');
    expect(filesReachedFrom('apps/api/src/main.ts')).not.toContain('libs/notifier/src/ses/ses-client.provider.ts');
  });

  // The separate identity of issue 16: only the remediator's module graph holds a write, and only its policy grants one.
  it('no write to IAM is reachable from the API or the notifier, nor granted to them', () => {
    for (const entry of ['apps/api/src/main.ts', 'apps/notifier/src/main.ts']) {
      const files = [...filesReachedFrom(entry)];
      expect({ entry, remediation: files.filter((f) => f.startsWith('libs/remediation/')) }).toEqual({
        entry,
        remediation: [],
      });
    }
    const writers = [...new Set(calls.filter((c) => WRITES.includes(actionFor(c))).map((c) => c.file))];
    expect(writers).toEqual(['libs/remediation/src/client/remediation-iam-client.provider.ts']);
    expect(reached.api.filter((a) => WRITES.includes(a))).toEqual([]);
    expect(reached.notifier.filter((a) => WRITES.includes(a))).toEqual([]);
    expect(reached.remediator).toEqual(expect.arrayContaining(WRITES));
    expect(actionsOf('api').filter((a) => WRITES.includes(a))).toEqual([]);
    expect(actionsOf('notifier').filter((a) => WRITES.includes(a))).toEqual([]);
    expect(readPolicy('iam-policy-remediator.json').Statement.flatMap((s) => toList(s.Action))).not.toContain(
      'iam:DeleteAccessKey',
    );
    expect(REMEDIATOR_DELETION.Statement.flatMap((s) => toList(s.Action))).toEqual(['iam:DeleteAccessKey']);
  });

  // The API reads user tags since the inventory route honours tag exemptions (iam-key-monitor:exempt-*), only for
  // users with findings; mail stays with the notifier.
  it('keep mail away from the internet-facing API', () => {
    expect(actionsOf('api').filter((a) => a.startsWith('ses:'))).toEqual([]);
    expect(actionsOf('notifier')).toEqual(expect.arrayContaining(['ses:SendEmail']));
  });

  it.each(APPS)('%s: a plain allow-list, no wildcards in actions, no Deny/NotAction tricks, no duplicate', (app) => {
    const policy = policies[app];
    const policyActions = actionsOf(app);
    expect(policy.Version).toBe('2012-10-17');
    expect(policyActions.filter((a) => a.includes('*'))).toEqual([]);
    expect(new Set(policyActions).size).toBe(policyActions.length);
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe('Allow');
      expect(Object.keys(statement).sort()).toEqual(expect.arrayContaining(['Action', 'Effect', 'Resource']));
      expect(statement).not.toHaveProperty('NotAction');
      expect(statement).not.toHaveProperty('NotResource');
    }
  });

  it.each(APPS)('%s: scopes sending mail to one SES identity (a placeholder ARN, not *)', (app) => {
    for (const statement of policies[app].Statement.filter((s) => toList(s.Action).some((a) => a.startsWith('ses:')))) {
      expect(toList(statement.Action).every((a) => a.startsWith('ses:'))).toBe(true);
      expect(toList(statement.Resource)).toEqual([expect.stringMatching(/^arn:aws:ses:[^:]+:[^:]+:identity\/.+$/)]);
    }
  });

  it.each(APPS)('%s: its IRSA trust policy admits only its own service account', (app) => {
    const trust = JSON.parse(readFileSync(repoPath(`deploy/aws/irsa-trust-policy-${app}.example.json`), 'utf8')) as {
      Statement: { Action: string; Condition: { StringEquals: Record<string, string> } }[];
    };
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0].Action).toBe('sts:AssumeRoleWithWebIdentity');
    const conditions = Object.entries(trust.Statement[0].Condition.StringEquals);
    expect(conditions.filter(([key]) => key.endsWith(':sub')).map(([, value]) => value)).toEqual([
      `system:serviceaccount:${NAMESPACE}:iam-key-monitor-${app}`,
    ]);
    expect(conditions.filter(([key]) => key.endsWith(':aud')).map(([, value]) => value)).toEqual(['sts.amazonaws.com']);
    expect(findObject(loadManifests(), 'ServiceAccount', `iam-key-monitor-${app}`)).toBeDefined();
  });

  it('has no policy file but the three apps (and the remediator deletion add-on)', () => {
    expect(listFiles(repoPath('deploy/aws')).sort()).toEqual([
      'deploy/aws/iam-policy-api.json',
      'deploy/aws/iam-policy-notifier.json',
      'deploy/aws/iam-policy-remediator-deletion.json',
      'deploy/aws/iam-policy-remediator.json',
      'deploy/aws/irsa-trust-policy-api.example.json',
      'deploy/aws/irsa-trust-policy-notifier.example.json',
      'deploy/aws/irsa-trust-policy-remediator.example.json',
      'deploy/aws/member-role.cfn.yaml',
    ]);
  });

  describe('the source scan', () => {
    it('maps renamed imports, paginators and ignores lookalikes from other packages', () => {
      const text = [
        "import { ListUsersCommand as Users, paginateListAccessKeys } from '@aws-sdk/client-iam';",
        "import { SendEmailCommand } from '@aws-sdk/client-sesv2';",
        "import { GetThingCommand } from './not-aws';",
        'new Users({}); paginateListAccessKeys({}, {}); new SendEmailCommand({}); new GetThingCommand();',
      ].join('\n');
      expect(sdkCallsIn('x.ts', text).map(actionFor)).toEqual(['iam:ListUsers', 'iam:ListAccessKeys', 'ses:SendEmail']);
    });

    it('counts the AssumeRole a temporary-credentials provider sends, and not the default chain', () => {
      const text = [
        "import { fromNodeProviderChain, fromTemporaryCredentials as assume } from '@aws-sdk/credential-providers';",
        "fromNodeProviderChain(); assume({ params: { RoleArn: 'x' } });",
      ].join('\n');
      expect(sdkCallsIn('x.ts', text).map(actionFor)).toEqual(['sts:AssumeRole']);
    });

    it('refuses an SDK client it has no IAM prefix for', () => {
      const text = "import { GetObjectCommand } from '@aws-sdk/client-s3';\nnew GetObjectCommand({});";
      expect(() => sdkCallsIn('x.ts', text).map(actionFor)).toThrow(/client-s3: add its IAM prefix/);
    });
  });
});

interface CfnTemplate {
  Parameters: Record<string, { Type: string; Default?: string; NoEcho?: boolean; AllowedPattern: string }>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, unknown> }>;
}
interface CfnRoleProperties {
  RoleName: unknown;
  AssumeRolePolicyDocument: { Version: string; Statement: Record<string, unknown>[] };
  Policies: { PolicyName: string; PolicyDocument: { Version: string; Statement: PolicyStatement[] } }[];
  ManagedPolicyArns?: unknown;
}

// Intrinsic functions in their long form (Ref:, Fn::If:), so the template is plain YAML with no CloudFormation tags.
const template = parseYaml(readFileSync(repoPath('deploy/aws/member-role.cfn.yaml'), 'utf8')) as CfnTemplate;
const fullMatch = (pattern: string) => new RegExp(pattern);

describe('deploy/aws/member-role.cfn.yaml', () => {
  const resources = Object.values(template.Resources);
  const role = template.Resources.MemberRole.Properties as unknown as CfnRoleProperties;

  it('is one IAM role named by RoleName, by default the name the scanner is told and the emulator grants', () => {
    expect(resources.map((r) => [r.Type, r.Condition])).toEqual([
      ['AWS::IAM::Role', undefined],
      ['AWS::IAM::Role', 'CreateRemediationRole'],
    ]);
    expect(role.RoleName).toEqual({ Ref: 'RoleName' });
    const { Default, AllowedPattern } = template.Parameters.RoleName;
    expect(Default).toBe(DEFAULT_MEMBER_ROLE_NAME);
    expect(loadAccountsConfig({ ACCOUNTS_SOURCE: 'organizations', ACCOUNT_ROLE_NAME: Default }).roleName).toBe(Default);
    expect(['Audit+Role=,.@_-1', 'r'.repeat(64)].filter((name) => !fullMatch(AllowedPattern).test(name))).toEqual([]);
    expect(['', 'path/Role', 'r'.repeat(65)].filter((name) => fullMatch(AllowedPattern).test(name))).toEqual([]);
  });

  it('grants exactly the IAM reads the two apps call, in one inline allow-list, nothing managed', () => {
    const iamReads = [...new Set([...reached.api, ...reached.notifier])].filter((a) => a.startsWith('iam:')).sort();
    expect(iamReads).toEqual(expect.arrayContaining(['iam:ListAccessKeys', 'iam:ListUsers']));
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    expect(statements.map((s) => s.Effect)).toEqual(statements.map(() => 'Allow'));
    expect(statements.flatMap((s) => toList(s.Action)).sort()).toEqual(iamReads);
    expect(role.Policies.map((p) => p.PolicyDocument.Version)).toEqual(role.Policies.map(() => '2012-10-17'));
    expect(role).not.toHaveProperty('ManagedPolicyArns');
  });

  it('trusts only the scanner role ARNs given, with the ExternalId condition exactly when one is set', () => {
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Sid: 'TrustTheScanner',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Split': [',', { Ref: 'ScannerRoleArn' }] } },
        Action: 'sts:AssumeRole',
        Condition: {
          'Fn::If': [
            'HasExternalId',
            { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
            { Ref: 'AWS::NoValue' },
          ],
        },
      },
    ]);
    expect(template.Conditions).toEqual({
      HasExternalId: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExternalId' }, ''] }] },
      CreateRemediationRole: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'RemediatorRoleArn' }, ''] }] },
      DeletesKeys: { 'Fn::Equals': [{ Ref: 'AllowKeyDeletion' }, 'true'] },
    });
    const externalId = template.Parameters.ExternalId;
    expect(externalId).toMatchObject({ Type: 'String', Default: '', NoEcho: true });
    expect(['', 'ext-123', 'a:b/c=d'].filter((v) => !fullMatch(externalId.AllowedPattern).test(v))).toEqual([]);
    expect(['x', 'has space', 'e'.repeat(1225)].filter((v) => fullMatch(externalId.AllowedPattern).test(v))).toEqual(
      [],
    );
  });

  it('has an optional remediation role, off by default, trusting only the remediator, DeleteAccessKey only with AllowKeyDeletion', () => {
    const remediation = template.Resources.RemediationRole.Properties as unknown as CfnRoleProperties;
    expect(template.Parameters.RemediatorRoleArn.Default).toBe('');
    expect(template.Parameters.AllowKeyDeletion.Default).toBe('false');
    expect(template.Parameters.RemediationRoleName.Default).toBe(loadRemediationConfig({}).roleName);
    expect(remediation.RoleName).toEqual({ Ref: 'RemediationRoleName' });
    expect(remediation.AssumeRolePolicyDocument.Statement.map((s) => s.Principal)).toEqual([
      { AWS: { Ref: 'RemediatorRoleArn' } },
    ]);
    const [always, deletion] = remediation.Policies[0].PolicyDocument.Statement as unknown as [
      PolicyStatement,
      { 'Fn::If': [string, PolicyStatement, unknown] },
    ];
    const remediatorCalls = reached.remediator.filter((a) => a.startsWith('iam:'));
    expect(toList(always.Action).sort()).toEqual(
      remediatorCalls.filter((a) =>
        ['iam:GetAccessKeyLastUsed', 'iam:ListAccessKeys', 'iam:ListUserTags', 'iam:UpdateAccessKey'].includes(a),
      ),
    );
    expect(deletion['Fn::If'][0]).toBe('DeletesKeys');
    expect(toList(deletion['Fn::If'][1].Action)).toEqual(['iam:DeleteAccessKey']);
    expect(deletion['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
    expect(
      toList(role.Policies[0].PolicyDocument.Statement.flatMap((s) => s.Action)).filter((a) => WRITES.includes(a)),
    ).toEqual([]);
  });

  it('admits role ARNs of any partition as the scanner, never a wildcard or a whole account', () => {
    const pattern = fullMatch(template.Parameters.ScannerRoleArn.AllowedPattern);
    const good = [
      'arn:aws:iam::111111111111:role/iam-key-monitor-api',
      'arn:aws-us-gov:iam::111111111111:role/path/api,arn:aws-us-gov:iam::111111111111:role/notifier',
    ];
    const bad = ['*', 'arn:aws:iam::111111111111:root', 'arn:aws:iam::*:role/x', 'arn:aws:iam::111111111111:role/a,'];
    expect(good.filter((arn) => !pattern.test(arn))).toEqual([]);
    expect(bad.filter((arn) => pattern.test(arn))).toEqual([]);
  });

  it('references every parameter it declares and no other', () => {
    const refs = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(walk);
      } else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'Ref' && typeof value === 'string') {
            refs.add(value);
          }
          walk(value);
        }
      }
    };
    walk(template.Resources);
    walk(template.Conditions);
    expect([...refs].filter((r) => !r.startsWith('AWS::')).sort()).toEqual(Object.keys(template.Parameters).sort());
  });
});

describe('the multi-account statements of the app policies', () => {
  // What the organization mode (libs/accounts) sends from the scanner's own account; an app needs it once it loads it.
  const accountsActions = [
    ...new Set(calls.filter((call) => call.file.startsWith('libs/accounts/')).map(actionFor)),
  ].sort();

  it('libs/accounts asks who it is, assumes roles and lists the organization', () => {
    expect(accountsActions).toEqual([
      'organizations:ListAccounts',
      'organizations:ListAccountsForParent',
      'organizations:ListChildren',
      'sts:AssumeRole',
      'sts:GetCallerIdentity',
    ]);
  });

  it.each(APPS)(
    '%s: assumes only the member role and only reads Organizations, when it scans other accounts',
    (app) => {
      const statements = policies[app].Statement;
      const assume = statements.filter((s) => toList(s.Action).some((a) => a.startsWith('sts:')));
      expect(assume).toHaveLength(reached[app].includes('sts:AssumeRole') ? 1 : 0);
      const roleName =
        app === 'remediator' ? template.Parameters.RemediationRoleName.Default : template.Parameters.RoleName.Default;
      for (const statement of assume) {
        expect(toList(statement.Action)).toEqual(['sts:AssumeRole']);
        expect(toList(statement.Resource)).toEqual([`arn:aws:iam::*:role/${roleName}`]);
      }
      for (const statement of statements.filter((s) => toList(s.Action).some((a) => a.startsWith('organizations:')))) {
        expect(toList(statement.Action).filter((a) => !/^organizations:(List|Describe)\w+$/.test(a))).toEqual([]);
        expect(toList(statement.Resource)).toEqual(['*']);
      }
    },
  );
});
