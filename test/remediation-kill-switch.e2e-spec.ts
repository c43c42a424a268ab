import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { RemediationHarness, SECURITY } from './support/remediation-harness';

const NOW = new Date('2026-11-24T10:00:00.000Z'); // a Tuesday
const KEY = 'AKIAREMEDIATESTOP001';
const OTHER = 'AKIAREMEDIATESTOP002';
const THIRD = 'AKIAREMEDIATESTOP003';

/**
 * The kill switch as deployed: REMEDIATION_KILL_SWITCH_FILE is the key `stop` of the ConfigMap
 * iam-key-monitor-remediation-control mounted as a directory, laid out as kubelet lays it out (`stop -> ..data/stop`,
 * `..data` a symlink swapped atomically on each update), read by the real FileKillSwitch the remediator module builds.
 */
describe('Remediation kill switch (e2e: the file a mounted ConfigMap gives, IAM + SES emulator, embedded store)', () => {
  let h: RemediationHarness;
  let mount: string;
  let version = 0;

  /** What kubelet does when the ConfigMap changes: a new data folder, then `..data` swapped to it. */
  const publish = (data: Record<string, string>) => {
    const folder = `..2026_11_24_${++version}`;
    mkdirSync(join(mount, folder));
    for (const [key, value] of Object.entries(data)) {
      writeFileSync(join(mount, folder, key), value);
      rmSync(join(mount, key), { force: true });
      symlinkSync(`..data/${key}`, join(mount, key));
    }
    symlinkSync(folder, join(mount, '..data_tmp'));
    renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
  };

  beforeEach(() => {
    mount = mkdtempSync(join(tmpdir(), 'remediation-control-'));
    publish({});
    h = new RemediationHarness(new Date(NOW));
  });

  afterEach(async () => {
    await h.stop();
    rmSync(mount, { recursive: true, force: true });
  });

  const start = () => h.start({ REMEDIATION_KILL_SWITCH_FILE: join(mount, 'stop') });

  it('engaged while a run is acting: the run stops before its next action, with the reason in the summary, the log and the digest', async () => {
    await start();
    await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
    await h.expiredKey('bob', OTHER, { finalDaysAgo: 30, expiredDaysAgo: 28 });
    await h.expiredKey('carol', THIRD, { finalDaysAgo: 30, expiredDaysAgo: 28 });
    // The operator engages it while the first UpdateAccessKey is being answered.
    const setStatus = h.account.setAccessKeyStatus.bind(h.account);
    jest.spyOn(h.account, 'setAccessKeyStatus').mockImplementation((id, status) => {
      setStatus(id, status);
      publish({ stop: 'INC-4711: mass deactivation suspected\n' });
    });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    const summary = await h.run();

    expect([h.status(KEY), h.status(OTHER), h.status(THIRD)]).toEqual(['Inactive', 'Active', 'Active']);
    expect(h.writes()).toEqual({ UpdateAccessKey: 1, DeleteAccessKey: 0 });
    expect(await h.decisions(summary.runId)).toEqual([
      { accessKeyId: KEY, outcome: 'deactivated', reason: 'expired-past-grace' },
      { accessKeyId: OTHER, outcome: 'refused', reason: 'kill-switch' },
      { accessKeyId: THIRD, outcome: 'refused', reason: 'kill-switch' },
    ]);
    expect(summary).toMatchObject({
      status: 'stopped',
      outcomes: { deactivated: 1, refused: 2 },
      refused: { 'kill-switch': 2 },
      killSwitch: { reason: 'INC-4711: mass deactivation suspected' },
    });
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({
        event: 'remediation.stopped',
        left: 2,
        reason: 'INC-4711: mass deactivation suspected',
      }),
    );
    const digest = h.emails().find((e) => e.to.includes(SECURITY));
    expect(digest?.subject).toBe(
      `Remediation run ${summary.runId} (enforce) stopped by the kill switch: 3 action(s), 3 decision(s)`,
    );
    expect(digest?.text).toContain('before 2 action(s), recorded as refused (kill-switch)');
    expect(digest?.text).toContain('Reason given: INC-4711: mass deactivation suspected.');
  });

  it('engaged when a run starts: it reads, decides and sends nothing, says so, and is stored stopped; released, the next run acts', async () => {
    await start();
    await h.expiredKey('alice', KEY, { finalDaysAgo: 30, expiredDaysAgo: 28 });
    publish({ stop: 'rotating the remediator role' });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    const summary = await h.run();

    expect(summary).toEqual({
      event: 'remediation.summary',
      runId: 1,
      mode: 'enforce',
      status: 'stopped',
      outcomes: {},
      spared: {},
      refused: {},
      emailsSent: 0,
      emailsFailed: 0,
      killSwitch: { reason: 'rotating the remediator role' },
    });
    expect(h.emulator.counters.totalIamRequests).toBe(0);
    expect(h.emails()).toEqual([]);
    expect(await h.decisions(1)).toEqual([]);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({
        msg: 'Kill switch engaged (REMEDIATION_KILL_SWITCH_FILE): remediation run 1 does not start',
        killSwitch: { reason: 'rotating the remediator role' },
      }),
    );
    expect(await h.remediations.latestRuns()).toEqual([
      expect.objectContaining({ runId: 1, mode: 'enforce', status: 'stopped', startedAt: NOW, finishedAt: NOW }),
    ]);
    expect(h.status(KEY)).toBe('Active');

    publish({});
    const next = await h.run();

    expect(next).toMatchObject({ runId: 2, status: 'complete', outcomes: { deactivated: 1 } });
    expect(next).not.toHaveProperty('killSwitch');
    expect(h.status(KEY)).toBe('Inactive');
  });
});
