import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { listFiles, repoPath } from './deploy-files';

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
};

/** Operations whose IAM action is not `<prefix>:<OperationName>`. SES v2 SendEmail authorizes as ses:SendEmail. */
const ACTION_OVERRIDES: Record<string, string> = {};

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
      statement.moduleSpecifier.text.startsWith('@aws-sdk/client-')
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
    if (target) {
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
const policy = JSON.parse(readFileSync(repoPath('deploy/aws/iam-policy.json'), 'utf8')) as {
  Version: string;
  Statement: PolicyStatement[];
};
const toList = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
const policyActions = policy.Statement.flatMap((s) => toList(s.Action));

describe('deploy/aws/iam-policy.json', () => {
  it('grants exactly the AWS actions the production code calls', () => {
    const used = [...new Set(calls.map(actionFor))].sort();
    expect(used).toEqual(expect.arrayContaining(['iam:ListAccessKeys', 'iam:ListUsers', 'ses:SendEmail']));
    expect([...policyActions].sort()).toEqual(used);
  });

  it('is a plain allow-list: no wildcards in actions, no Deny/NotAction tricks, no duplicate action', () => {
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

  it('scopes sending mail to one SES identity (a placeholder ARN, not *)', () => {
    for (const statement of policy.Statement.filter((s) => toList(s.Action).some((a) => a.startsWith('ses:')))) {
      expect(toList(statement.Action).every((a) => a.startsWith('ses:'))).toBe(true);
      expect(toList(statement.Resource)).toEqual([expect.stringMatching(/^arn:aws:ses:[^:]+:[^:]+:identity\/.+$/)]);
    }
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

    it('refuses an SDK client it has no IAM prefix for', () => {
      const text = "import { GetObjectCommand } from '@aws-sdk/client-s3';\nnew GetObjectCommand({});";
      expect(() => sdkCallsIn('x.ts', text).map(actionFor)).toThrow(/client-s3: add its IAM prefix/);
    });
  });
});
