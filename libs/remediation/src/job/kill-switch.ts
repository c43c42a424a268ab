import { existsSync } from 'node:fs';

/** Asked before every action: once engaged, the run stops and the remaining actions are recorded as refused. */
export interface KillSwitch {
  engaged(): boolean;
}

/** Engaged while REMEDIATION_KILL_SWITCH_FILE exists (e.g. `kubectl exec ... touch`, or a ConfigMap key mounted). */
export class FileKillSwitch implements KillSwitch {
  constructor(private readonly path: string | undefined) {}

  engaged(): boolean {
    return this.path !== undefined && existsSync(this.path);
  }
}
