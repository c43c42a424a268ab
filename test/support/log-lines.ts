export interface LogLine {
  level: number;
  time: number;
  msg: string;
  context?: string;
  req?: { id?: string; method?: string; url?: string };
  res?: { statusCode?: number };
  [field: string]: unknown;
}

export const LOG_LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** Every non-empty line must be one JSON log event; anything else fails the parse with the offending line. */
export function parseLogLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`Not a JSON log line: ${line}`);
      }
      const event = parsed as LogLine;
      if (typeof event.level !== 'number' || typeof event.time !== 'number' || typeof event.msg !== 'string') {
        throw new Error(`A log line without level, time or msg: ${line}`);
      }
      return event;
    });
}
