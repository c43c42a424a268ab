import { setImmediate as nextTurn } from 'node:timers/promises';
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import { IamErrorCode, IamException } from '../errors/iam.exception';
import type { KeyLastUse } from '../iam.types';
import { lastUseName } from '../scan/last-use';

export const ROOT_ACCOUNT_USER = '<root_account>';

export const REQUIRED_REPORT_COLUMNS = [
  'user',
  'user_creation_time',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_2_active',
  'access_key_2_last_rotated',
] as const;

/** Read when present (AWS always writes them); a report without them gives slots no last use. */
export const LAST_USE_REPORT_COLUMNS = [
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
] as const;

type ReportColumn = (typeof REQUIRED_REPORT_COLUMNS)[number];
type LastUseColumn = (typeof LAST_USE_REPORT_COLUMNS)[number];
type ColumnIndex = Record<ReportColumn, number> & Partial<Record<LastUseColumn, number>>;

/** What decides whether a key slot is worth a look: the same threshold the scan answers for. */
export interface ReportCriteria {
  /** Epoch ms: a slot last rotated at or before this instant is old. */
  cutoff: number;
  includeInactive: boolean;
  /** Read the slots' last-use columns too (the inventory); the old-keys routes skip them. */
  lastUse?: boolean;
}

/** One access key slot as the report shows it; `lastRotated` is the key's creation time (AWS never rotates in place). */
export interface ReportKeySlot {
  slot: 1 | 2;
  active: boolean;
  lastRotated: Date;
  /** The slot's last-use columns, when the report has them. */
  lastUse?: KeyLastUse;
}

/** An IAM user whose report row shows at least one old slot; `slots` holds only those old slots. */
export interface ReportCandidate {
  userName: string;
  userCreationTime: Date;
  slots: ReportKeySlot[];
  /** Every slot that holds a key, whatever its age or status: what ListAccessKeys should find. */
  keySlots: ReportKeySlot[];
  /** Both slots' active and last_rotated values: equal fingerprints mean the same keys in the same states. */
  fingerprint: string;
}

/** Told about every IAM user row (root excluded), candidate or not, with its slot fingerprint. */
export type ReportRowVisitor = (userName: string, fingerprint: string) => void;

export interface ParsedCredentialReport {
  /** IAM users with at least one old slot, in report order. */
  candidates: ReportCandidate[];
  /** Old slots of the root account, by slot number. */
  rootSlots: ReportKeySlot[];
  /** User rows, root excluded. */
  usersSeen: number;
  /** User rows whose user was created after the cutoff, so cannot own an old key. */
  usersYoung: number;
}

/** Values AWS writes where a date or a boolean does not apply. */
const NOT_APPLICABLE = new Set(['n/a', 'not_supported', 'no_information']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const LINES_PER_TURN = 2_000;

/**
 * Reads a credential report row by row and keeps only what the scan needs: the users with an old key
 * slot and the root account's old slots. Memory follows the answer, not the report.
 *
 * Records are read as arrays and the columns located once from the header.
 */
export async function parseCredentialReport(
  content: Uint8Array,
  criteria: ReportCriteria,
  visitRow?: ReportRowVisitor,
): Promise<ParsedCredentialReport> {
  const text = decodeReport(content);
  const result: ParsedCredentialReport = { candidates: [], rootSlots: [], usersSeen: 0, usersYoung: 0 };
  let columns: ColumnIndex | undefined;
  // Quoted rows arrive last (see csvRecords); candidates go back into report order at the end.
  const rowOf = new Map<ReportCandidate, number>();
  for await (const { fields, row } of csvRecords(text)) {
    if (!columns) {
      columns = locateColumns(fields);
      continue;
    }
    const before = result.candidates.length;
    readRow(fields, row, columns, criteria, result, visitRow);
    if (result.candidates.length > before) {
      rowOf.set(result.candidates[before], row);
    }
  }
  if (!columns) {
    throw malformed('it is empty');
  }
  result.candidates.sort((a, b) => rowOf.get(a)! - rowOf.get(b)!);
  return result;
}

interface CsvRecord {
  fields: string[];
  /** Data rows count from 1; the header is row 0. */
  row: number;
}

/**
 * The report's records. A line without a double quote has no quoting, so its fields are exactly its
 * comma-separated parts; lines with quotes (a user name holding a comma, say), together with the lines a
 * quoted field spans, are gathered and read by csv-parse in one call at the end. csv-parse on every line
 * took over a second for a 50,000-user report on this project's 2-core machines, and a call per quoted
 * line cost a quarter of a millisecond each. Yields to the event loop every few thousand lines so a large
 * report does not stall other requests.
 */
async function* csvRecords(text: string): AsyncGenerator<CsvRecord> {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let width: number | undefined;
  let row = 0;
  const quoted: { row: number; chunk: string }[] = [];
  // Found once and moved on only when passed, so lines without quotes never search the rest of the text.
  let nextQuote = text.indexOf('"', start);
  const checked = (fields: string[], at: number): CsvRecord => {
    width ??= fields.length;
    if (fields.length !== width) {
      throw malformed('it is not valid CSV (CSV_RECORD_INCONSISTENT_FIELDS_LENGTH)');
    }
    return { fields, row: at };
  };
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) {
      end = text.length;
    }
    if (row % LINES_PER_TURN === LINES_PER_TURN - 1) {
      await nextTurn();
    }
    if (nextQuote !== -1 && nextQuote < start) {
      nextQuote = text.indexOf('"', start);
    }
    if (nextQuote !== -1 && nextQuote < end) {
      // Extend to the line where the quotes balance: a quoted field may hold line breaks.
      let quotes = countQuotes(text, start, end);
      while (quotes % 2 === 1 && end < text.length) {
        const next = text.indexOf('\n', end + 1);
        const lineEnd = next === -1 ? text.length : next;
        quotes += countQuotes(text, end, lineEnd);
        end = lineEnd;
      }
      const chunk = text.slice(start, end);
      if (width === undefined) {
        yield checked(parseQuoted(chunk, 1)[0], row++);
      } else {
        quoted.push({ row: row++, chunk });
      }
    } else {
      const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      if (line !== '') {
        yield checked(line.split(','), row++);
      }
    }
    start = end + 1;
  }
  if (quoted.length > 0) {
    const records = parseQuoted(quoted.map((q) => q.chunk).join('\n'), quoted.length);
    for (let i = 0; i < records.length; i++) {
      yield checked(records[i], quoted[i].row);
    }
  }
}

function countQuotes(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('"', from); i !== -1 && i < to; i = text.indexOf('"', i + 1)) {
    n++;
  }
  return n;
}

/** Each chunk holds exactly one record; any other count means the quoting is broken. */
function parseQuoted(chunks: string, expected: number): string[][] {
  let records: string[][];
  try {
    records = parseCsv(chunks, { skip_empty_lines: true, relax_column_count: true });
  } catch (err) {
    if (err instanceof CsvError) {
      throw malformed(`it is not valid CSV (${err.code})`, err);
    }
    throw err;
  }
  if (records.length !== expected) {
    throw malformed('it is not valid CSV (CSV_QUOTE_NOT_CLOSED)');
  }
  return records;
}

function decodeReport(content: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch (err) {
    throw malformed('it is not UTF-8 text', err);
  }
}

function locateColumns(header: string[]): ColumnIndex {
  const names = header.map((h) => h.trim());
  const missing = REQUIRED_REPORT_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw malformed(`its header lacks ${missing.join(', ')}`);
  }
  const present = LAST_USE_REPORT_COLUMNS.filter((c) => names.includes(c));
  return Object.fromEntries([...REQUIRED_REPORT_COLUMNS, ...present].map((c) => [c, names.indexOf(c)])) as ColumnIndex;
}

function readRow(
  record: string[],
  row: number,
  columns: ColumnIndex,
  criteria: ReportCriteria,
  result: ParsedCredentialReport,
  visitRow: ReportRowVisitor | undefined,
): void {
  const field = record[columns.user];
  if (!field) {
    throw malformed(`row ${row} has no user`);
  }
  // A field split from the report can be a slice that keeps the whole report text alive; names we hand out
  // (to the answer, to the key-id cache) must own their characters, or memory follows the report.
  const userName = ownString(field);
  // Plain numbers first: most rows are not candidates, and allocating slot objects for them showed in profiles.
  const rotated1 = dateMs(record[columns.access_key_1_last_rotated], row, 'access_key_1_last_rotated');
  const rotated2 = dateMs(record[columns.access_key_2_last_rotated], row, 'access_key_2_last_rotated');
  const active1 = parseBoolean(record[columns.access_key_1_active], row, 'access_key_1_active');
  const active2 = parseBoolean(record[columns.access_key_2_active], row, 'access_key_2_active');
  const fingerprint = `${active1}@${rotated1 ?? '-'},${active2}@${rotated2 ?? '-'}`;
  const isOld = (ms: number | undefined, active: boolean) =>
    ms !== undefined && ms <= criteria.cutoff && (active || criteria.includeInactive);
  const old1 = isOld(rotated1, active1);
  const old2 = isOld(rotated2, active2);
  const slotsWhere = (keep: (ms: number | undefined, active: boolean) => boolean): ReportKeySlot[] => {
    const slots: ReportKeySlot[] = [];
    if (rotated1 !== undefined && keep(rotated1, active1)) {
      slots.push(
        withLastUse({ slot: 1, active: active1, lastRotated: new Date(rotated1) }, record, row, columns, criteria),
      );
    }
    if (rotated2 !== undefined && keep(rotated2, active2)) {
      slots.push(
        withLastUse({ slot: 2, active: active2, lastRotated: new Date(rotated2) }, record, row, columns, criteria),
      );
    }
    return slots;
  };

  if (userName === ROOT_ACCOUNT_USER) {
    if (old1 || old2) {
      result.rootSlots.push(...slotsWhere(isOld));
    }
    return;
  }
  result.usersSeen++;
  visitRow?.(userName, fingerprint);
  const created = dateMs(record[columns.user_creation_time], row, 'user_creation_time');
  if (created === undefined) {
    throw malformed(`row ${row} has no user_creation_time`);
  }
  if (created > criteria.cutoff) {
    result.usersYoung++;
  }
  if (old1 || old2) {
    result.candidates.push({
      userName,
      userCreationTime: new Date(created),
      slots: slotsWhere(isOld),
      keySlots: slotsWhere(() => true),
      fingerprint,
    });
  }
}

/** The slot's last use from its own columns (`N/A` when never used), read only for the slots the answer keeps. */
function withLastUse(
  slot: ReportKeySlot,
  record: string[],
  row: number,
  columns: ColumnIndex,
  criteria: ReportCriteria,
): ReportKeySlot {
  const n = slot.slot;
  const dateAt = criteria.lastUse ? columns[`access_key_${n}_last_used_date`] : undefined;
  if (dateAt === undefined) {
    return slot;
  }
  const at = (column: LastUseColumn): string | undefined => {
    const index = columns[column];
    return index === undefined ? undefined : record[index];
  };
  const used = dateMs(record[dateAt], row, `access_key_${n}_last_used_date`);
  slot.lastUse = {
    lastUsedDate: used === undefined ? null : new Date(used),
    lastUsedService: ownName(lastUseName(at(`access_key_${n}_last_used_service`))),
    lastUsedRegion: ownName(lastUseName(at(`access_key_${n}_last_used_region`))),
  };
  return slot;
}

const AWS_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\+00:00$/;

/**
 * Epoch ms, or undefined where AWS says the value does not apply (N/A, not_supported, no_information).
 * AWS's own form, `2026-01-02T03:04:05+00:00`, is read from its fields (Date.parse was the hot spot);
 * anything else goes through the general ISO check.
 */
function dateMs(value: string, row: number, column: string): number | undefined {
  const m = value.length === 25 ? AWS_DATE.exec(value) : null;
  if (m) {
    const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
    const ms = Date.UTC(year, month - 1, day, hour, minute, second);
    const d = new Date(ms);
    // Date.UTC rolls month 13 or day 45 over; a real date comes back with the same fields.
    if (d.getUTCMonth() === month - 1 && d.getUTCDate() === day && hour < 24 && minute < 60 && second < 60) {
      return ms;
    }
    throw malformed(`row ${row} has an invalid ${column}`);
  }
  return parseDate(value, row, column)?.getTime();
}

function ownName(value: string | null): string | null {
  return value === null ? null : ownString(value);
}

function ownString(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}

/** A date, or undefined where AWS says the value does not apply (N/A, not_supported, no_information). */
function parseDate(value: string, row: number, column: string): Date | undefined {
  if (NOT_APPLICABLE.has(value.toLowerCase())) {
    return undefined;
  }
  const ms = ISO_DATE.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw malformed(`row ${row} has an invalid ${column}`);
  }
  return new Date(ms);
}

function parseBoolean(value: string, row: number, column: string): boolean {
  switch (value.toLowerCase()) {
    case 'true':
      return true;
    case 'false':
      return false;
    default:
      throw malformed(`row ${row} has an invalid ${column}`);
  }
}

/** Messages name data rows (from 1, header excluded) and columns, never values: a row carries user names and ARNs. */
function malformed(reason: string, cause?: unknown): IamException {
  return new IamException(IamErrorCode.ReportMalformed, `The credential report cannot be read: ${reason}`, {
    action: 'GetCredentialReport',
    cause,
  });
}
