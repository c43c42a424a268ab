import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigType } from '@nestjs/config';
import type { notifierConfig } from '../config/notifier.config';
import type { OutgoingEmail } from '../notifier.types';
import { DryRunEmailDriver } from './dry-run-email.driver';

describe(DryRunEmailDriver.name, () => {
  let dir: string;
  let sut: DryRunEmailDriver;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notifier-dry-run-'));
    sut = new DryRunEmailDriver(
      { dryRunDir: join(dir, 'out'), sender: 'Key Monitor <keys@example.com>' } as ConfigType<typeof notifierConfig>,
      { now: () => new Date('2026-11-23T12:00:00Z') },
    );
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the message as .eml and .html and sends nothing', async () => {
    const email: OutgoingEmail = {
      kind: 'owner',
      to: 'Alice+ops@Example.com',
      subject: 'Rotate now — 1 key',
      html: '<p>héllo</p>',
      text: 'héllo',
      accessKeyIds: ['AKIA1'],
    };

    const receipt = await sut.deliver(email);

    const base = join(dir, 'out', 'owner-alice+ops@example.com');
    expect(receipt).toEqual({ files: [`${base}.eml`, `${base}.html`] });
    expect(await readFile(`${base}.html`, 'utf8')).toBe('<p>héllo</p>');
    const eml = await readFile(`${base}.eml`, 'utf8');
    expect(eml).toContain('From: Key Monitor <keys@example.com>\r\nTo: Alice+ops@Example.com\r\n');
    expect(eml).toContain(`Subject: =?UTF-8?B?${Buffer.from('Rotate now — 1 key').toString('base64')}?=`);
    expect(eml).toContain('Date: Mon, 23 Nov 2026 12:00:00 GMT');
    expect(eml).toContain(Buffer.from('<p>héllo</p>').toString('base64'));
    expect(eml).toContain('Content-Type: multipart/alternative;');
  });
});
