export const REDACTED = '[redacted]';

/** `scheme://user:pass@host` keeps its scheme and host; what sits before the `@` never reaches a log or an error. */
export function redactUserinfo(text: string): string {
  return text.replace(/([a-z][a-z\d+.-]*:\/\/)[^/?#@\s]*@/gi, `$1${REDACTED}@`);
}

/**
 * A request target as it may be logged: userinfo removed, and the value of every query parameter redacted
 * except those named in `shown` (the API's own, which it validates), so `?access_token=` never reaches a log.
 */
export function redactRequestUrl(url: string, shown: ReadonlySet<string> = new Set()): string {
  const target = redactUserinfo(url);
  const start = target.indexOf('?');
  if (start === -1) {
    return target;
  }
  const query = target
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      if (shown.has(safeDecode(name)) || pair === '') {
        return pair;
      }
      // A bare `?<token>` is redacted whole; a named parameter keeps its name, which helps reading the log.
      return eq === -1 ? REDACTED : `${name}=${REDACTED}`;
    })
    .join('&');
  return `${target.slice(0, start)}?${query}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
