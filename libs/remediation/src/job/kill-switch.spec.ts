import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileKillSwitch, KILL_SWITCH_REASON_MAX_CHARS, normalizeReason } from './kill-switch';

describe(FileKillSwitch.name, () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kill-switch-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is engaged exactly while its file exists, and never without a path', () => {
    const path = join(dir, 'stop');
    const sut = new FileKillSwitch(path);

    expect(sut.check()).toBeNull();
    writeFileSync(path, '');
    expect(sut.check()).toEqual({ reason: '' });
    rmSync(path);
    expect(sut.check()).toBeNull();
    expect(new FileKillSwitch(undefined).check()).toBeNull();
  });

  it("gives the file's content as the reason, on one line", () => {
    const path = join(dir, 'stop');
    writeFileSync(path, '  INC-4711: mass event,\n\tstop until\r\nreviewed \u0007\n');

    expect(new FileKillSwitch(path).check()).toEqual({ reason: 'INC-4711: mass event, stop until reviewed' });
  });

  it(`cuts a reason at ${KILL_SWITCH_REASON_MAX_CHARS} characters and reads 4 KiB at most`, () => {
    const path = join(dir, 'stop');
    writeFileSync(path, 'é'.repeat(10_000));

    const reason = new FileKillSwitch(path).check()?.reason;

    expect([...(reason ?? '')]).toHaveLength(KILL_SWITCH_REASON_MAX_CHARS);
    expect(normalizeReason('x'.repeat(KILL_SWITCH_REASON_MAX_CHARS + 1))).toHaveLength(KILL_SWITCH_REASON_MAX_CHARS);
    writeFileSync(path, `${' '.repeat(4096)}past the first 4 KiB`);
    expect(new FileKillSwitch(path).check()).toEqual({ reason: '' });
  });

  it('is engaged without a reason when the path exists but cannot be read (a directory)', () => {
    const path = join(dir, 'stop');
    mkdirSync(path);

    expect(new FileKillSwitch(path).check()).toEqual({ reason: '' });
  });

  it('follows a mounted ConfigMap as kubelet lays it out (key -> ..data/key) and sees its updates in place', () => {
    // kubelet writes a new timestamped folder, then swaps the ..data symlink to it atomically.
    const mount = join(dir, 'remediation-control');
    mkdirSync(join(mount, '..2026_12_02_v1'), { recursive: true });
    symlinkSync('..2026_12_02_v1', join(mount, '..data'));
    const sut = new FileKillSwitch(join(mount, 'stop'));
    expect(sut.check()).toBeNull();

    mkdirSync(join(mount, '..2026_12_02_v2'));
    writeFileSync(join(mount, '..2026_12_02_v2', 'stop'), 'rotating the remediator role');
    symlinkSync('..2026_12_02_v2', join(mount, '..data_tmp'));
    renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    symlinkSync('..data/stop', join(mount, 'stop'));
    expect(sut.check()).toEqual({ reason: 'rotating the remediator role' });

    // Released: the key removed from the ConfigMap (its symlink goes with the next swap).
    mkdirSync(join(mount, '..2026_12_02_v3'));
    symlinkSync('..2026_12_02_v3', join(mount, '..data_tmp'));
    renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
    expect(sut.check()).toBeNull();
  });
});
