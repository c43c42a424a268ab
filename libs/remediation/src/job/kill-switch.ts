import { closeSync, existsSync, openSync, readSync } from 'node:fs';

/** The switch is engaged; `reason` is what the operator wrote in it ('' when nothing, or unreadable). */
export interface KillSwitchEngaged {
  reason: string;
}

/**
 * Asked when a run starts (engaged: it does not start) and before every action (engaged: the run stops there and
 * the remaining actions are recorded as refused). null while released.
 */
export interface KillSwitch {
  check(): KillSwitchEngaged | null;
}

/** A reason longer than this is cut (it goes into logs, the run's summary and the security team's digest). */
export const KILL_SWITCH_REASON_MAX_CHARS = 200;
/** Bytes read from the file at most: a reason, not a document. */
const READ_MAX_BYTES = 4096;

/**
 * Engaged while REMEDIATION_KILL_SWITCH_FILE exists. In the cluster it is a key of the ConfigMap
 * `iam-key-monitor-remediation-control` mounted as a directory: kubelet updates the mount in place, so a running
 * job sees the key appear between two actions, and every later pod starts with it. The file's content is the reason.
 */
export class FileKillSwitch implements KillSwitch {
  constructor(private readonly path: string | undefined) {}

  check(): KillSwitchEngaged | null {
    if (this.path === undefined || !existsSync(this.path)) {
      return null;
    }
    return { reason: readReason(this.path) };
  }
}

/** The file's first bytes as one line: control characters and runs of spaces made one space, trimmed, capped. */
export function readReason(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(READ_MAX_BYTES);
    const read = readSync(fd, buffer, 0, READ_MAX_BYTES, 0);
    return normalizeReason(buffer.subarray(0, read).toString('utf8'));
  } catch {
    // Present but unreadable (a directory, no permission): still engaged, with no reason to tell.
    return '';
  } finally {
    if (fd !== undefined) {
      closeSync(fd);
    }
  }
}

export function normalizeReason(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const line = raw.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return [...line].slice(0, KILL_SWITCH_REASON_MAX_CHARS).join('');
}
