import { readFileSync } from 'node:fs';
import {
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { EnvValidationError } from '@app/platform';
import { FINDING_CODES, type FindingCode } from '../findings.types';
import { EXPIRY_FORMAT, expiryProblem, parseExpiry } from './exemption-expiry';
import type { Exemption, ExemptionMatch } from './exemption.types';

const ENTRY_FIELDS = ['match', 'findings', 'reason', 'expires_at', 'ticket', 'approved_by'] as const;
const MATCH_FIELDS = ['account_id', 'user_name', 'access_key_id'] as const;
const ACCOUNT_ID = /^\d{12}$/;
/** IAM's user name characters, plus the glob's `*`. */
const USER_NAME = /^[\w+=,.@*-]{1,64}$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const MAX_TEXT = 1000;

/** A bad exemptions file stops boot like a bad variable does, each problem naming the file, line and field. */
export class ExemptionsFileError extends EnvValidationError {
  constructor(problems: string[]) {
    super(problems);
    this.name = 'ExemptionsFileError';
  }
}

export interface ExemptionsFileOptions {
  /** Shown in every problem, so the operator knows which file to open. */
  fileName: string;
  now: Date;
  maxDays: number;
}

type Located = Node | Pair | null | undefined;

class EntryReader {
  readonly problems: string[] = [];

  constructor(
    private readonly where: (node: Located) => string,
    private readonly options: ExemptionsFileOptions,
  ) {}

  problem(node: Located, field: string, message: string): void {
    this.problems.push(`${this.where(node)}: ${field}: ${message}`);
  }

  read(entry: unknown, path: string): Exemption | undefined {
    if (!isMap(entry)) {
      this.problem(entry as Node, path, 'must be a mapping with match, reason and expires_at');
      return undefined;
    }
    const before = this.problems.length;
    const fields = this.fieldsOf(entry, path, ENTRY_FIELDS);
    const match = this.match(fields.get('match'), entry, `${path}.match`);
    const findings = this.findings(fields.get('findings'), `${path}.findings`);
    const reason = this.text(fields.get('reason'), entry, `${path}.reason`, true);
    const expiresAt = this.expiry(fields.get('expires_at'), entry, `${path}.expires_at`);
    const ticket = this.text(fields.get('ticket'), entry, `${path}.ticket`, false);
    const approvedBy = this.text(fields.get('approved_by'), entry, `${path}.approved_by`, false);
    if (this.problems.length !== before || !match || !findings || reason === undefined || !expiresAt) {
      return undefined;
    }
    return {
      source: 'file',
      match,
      findings,
      reason,
      expiresAt,
      ...(ticket !== undefined && { ticket }),
      ...(approvedBy !== undefined && { approvedBy }),
    };
  }

  private fieldsOf(map: YAMLMap, path: string, allowed: readonly string[]): Map<string, Pair> {
    const fields = new Map<string, Pair>();
    for (const pair of map.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (name === undefined || !allowed.includes(name)) {
        this.problem(pair, `${path}.${name ?? '?'}`, `unknown field; allowed: ${allowed.join(', ')}`);
      } else {
        fields.set(name, pair);
      }
    }
    return fields;
  }

  private match(pair: Pair | undefined, entry: YAMLMap, path: string): ExemptionMatch | undefined {
    if (!pair) {
      this.problem(entry, path, `required: a mapping naming at least one of ${MATCH_FIELDS.join(', ')}`);
      return undefined;
    }
    if (!isMap(pair.value)) {
      this.problem(pair, path, `must be a mapping naming at least one of ${MATCH_FIELDS.join(', ')}`);
      return undefined;
    }
    const fields = this.fieldsOf(pair.value, path, MATCH_FIELDS);
    const pattern = (name: (typeof MATCH_FIELDS)[number], regex: RegExp, what: string): string | undefined => {
      const field = fields.get(name);
      if (!field) {
        return undefined;
      }
      const value = isScalar(field.value) ? field.value.value : undefined;
      if (typeof value !== 'string' || !regex.test(value)) {
        this.problem(field, `${path}.${name}`, `must be ${what}, as a quoted string`);
        return undefined;
      }
      return value;
    };
    const match: ExemptionMatch = {
      accountId: pattern('account_id', ACCOUNT_ID, 'a 12-digit account id'),
      userName: pattern('user_name', USER_NAME, 'an IAM user name (letters, digits, +=,.@_-), with * as a wildcard'),
      accessKeyId: pattern('access_key_id', ACCESS_KEY_ID, 'an access key id (16-128 capital letters and digits)'),
    };
    if (fields.size === 0) {
      this.problem(pair, path, `names nothing: give at least one of ${MATCH_FIELDS.join(', ')}`);
      return undefined;
    }
    return Object.fromEntries(Object.entries(match).filter(([, v]) => v !== undefined));
  }

  private findings(pair: Pair | undefined, path: string): readonly FindingCode[] | 'all' | undefined {
    if (!pair) {
      return 'all';
    }
    const codes = isSeq(pair.value) ? pair.value.items.map((item) => (isScalar(item) ? item.value : item)) : [];
    const valid = codes.length > 0 && codes.every((c) => (FINDING_CODES as readonly unknown[]).includes(c));
    if (!valid) {
      this.problem(pair, path, `must be a non-empty list of ${FINDING_CODES.join(', ')} (leave it out for all)`);
      return undefined;
    }
    return FINDING_CODES.filter((code) => codes.includes(code));
  }

  private text(pair: Pair | undefined, entry: YAMLMap, path: string, required: boolean): string | undefined {
    if (!pair) {
      if (required) {
        this.problem(entry, path, 'required: why the key may keep its finding');
      }
      return undefined;
    }
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TEXT) {
      this.problem(pair, path, `must be a non-empty string of at most ${MAX_TEXT} characters`);
      return undefined;
    }
    return value.trim();
  }

  private expiry(pair: Pair | undefined, entry: YAMLMap, path: string): Date | undefined {
    if (!pair) {
      this.problem(entry, path, `required: ${EXPIRY_FORMAT}`);
      return undefined;
    }
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    const expiresAt = typeof value === 'string' ? parseExpiry(value) : undefined;
    if (!expiresAt) {
      this.problem(pair, path, `${JSON.stringify(value ?? null)} is not ${EXPIRY_FORMAT}`);
      return undefined;
    }
    const tooFar = expiryProblem(expiresAt, this.options.now, this.options.maxDays);
    if (tooFar) {
      this.problem(pair, path, `${String(value)} ${tooFar}`);
      return undefined;
    }
    return expiresAt;
  }
}

/**
 * The exemptions of a file's text: a mapping with one `exemptions` list. Every problem is collected, each with
 * its line and field, and thrown together so one edit fixes them all. An empty file declares none.
 */
export function parseExemptionsFile(text: string, options: ExemptionsFileOptions): Exemption[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const lineOf = (node: Located): number => {
    const range = isNode(node) ? node.range : isPair(node) && isNode(node.key) ? node.key.range : undefined;
    return range ? lineCounter.linePos(range[0]).line : 1;
  };
  const where = (node: Located) => `${options.fileName} line ${lineOf(node)}`;
  const syntax = [...doc.errors, ...doc.warnings].map((err) => {
    const line = err.linePos?.[0].line ?? lineCounter.linePos(err.pos[0]).line;
    return `${options.fileName} line ${line}: ${err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
  });
  if (syntax.length > 0) {
    throw new ExemptionsFileError(syntax);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    return [];
  }
  if (!isMap(root)) {
    throw new ExemptionsFileError([`${where(root)}: the file must be a mapping with an exemptions list`]);
  }
  const reader = new EntryReader(where, options);
  const list = root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'exemptions');
  for (const pair of root.items.filter((p) => p !== list)) {
    reader.problem(pair, isScalar(pair.key) ? String(pair.key.value) : '?', 'unknown field; allowed: exemptions');
  }
  const exemptions: Exemption[] = [];
  const entries = list?.value;
  if (isSeq(entries)) {
    entries.items.forEach((entry, index) => {
      const exemption = reader.read(entry, `exemptions[${index}]`);
      if (exemption) {
        exemptions.push({ ...exemption, line: lineOf(entry) });
      }
    });
  } else if (entries !== undefined && entries !== null && !(isScalar(entries) && entries.value === null)) {
    reader.problem(list, 'exemptions', 'must be a list');
  }
  if (reader.problems.length > 0) {
    throw new ExemptionsFileError(reader.problems);
  }
  return exemptions;
}

/** Reads EXEMPTIONS_FILE once; a missing or unreadable file stops boot naming the variable, not a stack trace. */
export function loadExemptionsFile(path: string, options: Omit<ExemptionsFileOptions, 'fileName'>): Exemption[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ExemptionsFileError([`EXEMPTIONS_FILE (${JSON.stringify(path)}): cannot be read (${code})`]);
  }
  return parseExemptionsFile(text, { ...options, fileName: `EXEMPTIONS_FILE ${path}` });
}
