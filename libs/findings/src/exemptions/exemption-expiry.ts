const DAY_MS = 86_400_000;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2}))$/;

export const EXPIRY_FORMAT = 'an ISO date (2026-07-01) or date-time with a zone (2026-07-01T12:00:00Z)';

function calendarDay(y: string, m: string, d: string): number | undefined {
  const ms = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const date = new Date(ms);
  const real =
    date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
  return real ? ms : undefined;
}

/**
 * An expiry instant. A bare date means the start of that day in UTC (the exemption is over once the date is
 * reached); a date-time must carry its zone, since a zone-less one would expire at a different instant on every
 * machine.
 */
export function parseExpiry(text: string): Date | undefined {
  const date = DATE.exec(text);
  if (date) {
    const ms = calendarDay(date[1], date[2], date[3]);
    return ms === undefined ? undefined : new Date(ms);
  }
  const dt = DATE_TIME.exec(text);
  if (!dt) {
    return undefined;
  }
  const [, y, mo, d, h, mi, s = '00', fraction = '', zone, sign, zh = '00', zm = '00'] = dt;
  const day = calendarDay(y, mo, d);
  if (day === undefined || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || Number(zh) > 23 || Number(zm) > 59) {
    return undefined;
  }
  const millis = fraction === '' ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  const offsetMs = zone === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm)) * 60_000;
  return new Date(day + ((Number(h) * 60 + Number(mi)) * 60 + Number(s)) * 1000 + millis - offsetMs);
}

/** Why an expiry is refused, or undefined when it is within the allowed horizon. Already past is allowed: it simply no longer applies. */
export function expiryProblem(expiresAt: Date, now: Date, maxDays: number): string | undefined {
  const limit = new Date(now.getTime() + maxDays * DAY_MS);
  return expiresAt.getTime() > limit.getTime()
    ? `is more than ${maxDays} days ahead (EXEMPTION_MAX_DAYS): the latest allowed now is ${limit.toISOString()}`
    : undefined;
}
