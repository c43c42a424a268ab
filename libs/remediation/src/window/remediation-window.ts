/**
 * When remediation may act: weekdays and UTC hours, e.g. `Mon-Thu 09-16`.
 *
 * Syntax: `<days> <hours>`. Days are comma-separated three-letter English weekdays or ranges of them
 * (`Mon-Thu`, `Tue,Thu`, `Mon-Wed,Fri`; a range may not wrap past Sun). Hours are `HH-HH` in UTC, start
 * included and end excluded (`09-16` is 09:00:00 to 15:59:59), 00-24, start before end.
 */
export interface RemediationWindow {
  /** 0 = Sunday ... 6 = Saturday, as Date#getUTCDay. */
  days: ReadonlySet<number>;
  startHour: number;
  endHour: number;
  /** As written, for messages. */
  text: string;
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const WINDOW_PATTERN = /^([A-Za-z,-]+)\s+(\d{2})-(\d{2})$/;

export class RemediationWindowSyntaxError extends Error {}

function dayIndex(name: string): number {
  const i = DAY_NAMES.findIndex((d) => d.toLowerCase() === name.toLowerCase());
  if (i === -1) {
    throw new RemediationWindowSyntaxError(`unknown weekday "${name}" (use ${DAY_NAMES.join(', ')})`);
  }
  return i;
}

/** Throws RemediationWindowSyntaxError saying what is wrong. */
export function parseRemediationWindow(text: string): RemediationWindow {
  const match = WINDOW_PATTERN.exec(text.trim());
  if (!match) {
    throw new RemediationWindowSyntaxError('expected "<days> <HH-HH>", e.g. "Mon-Thu 09-16" (UTC hours)');
  }
  const [, daysText, startText, endText] = match;
  const days = new Set<number>();
  for (const part of daysText.split(',')) {
    const [from, to, extra] = part.split('-');
    if (extra !== undefined || !from) {
      throw new RemediationWindowSyntaxError(`"${part}" is neither a weekday nor a range like Mon-Thu`);
    }
    const start = dayIndex(from);
    const end = to === undefined ? start : dayIndex(to);
    if (end < start) {
      throw new RemediationWindowSyntaxError(`the range ${part} runs backwards (ranges go Sun to Sat, no wrapping)`);
    }
    for (let d = start; d <= end; d++) {
      days.add(d);
    }
  }
  const startHour = Number(startText);
  const endHour = Number(endText);
  if (startHour > 23 || endHour > 24 || startHour >= endHour) {
    throw new RemediationWindowSyntaxError(`hours ${startText}-${endText} must be 00-24 with the start before the end`);
  }
  return { days, startHour, endHour, text: text.trim() };
}

export function insideWindow(window: RemediationWindow, at: Date): boolean {
  const hour = at.getUTCHours();
  return window.days.has(at.getUTCDay()) && hour >= window.startHour && hour < window.endHour;
}
