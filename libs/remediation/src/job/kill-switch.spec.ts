import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileKillSwitch } from './kill-switch';

describe(FileKillSwitch.name, () => {
  it('is engaged exactly while its file exists, and never without a path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kill-switch-'));
    const path = join(dir, 'stop');
    const sut = new FileKillSwitch(path);

    expect(sut.engaged()).toBe(false);
    writeFileSync(path, '');
    expect(sut.engaged()).toBe(true);
    rmSync(dir, { recursive: true });
    expect(sut.engaged()).toBe(false);
    expect(new FileKillSwitch(undefined).engaged()).toBe(false);
  });
});
