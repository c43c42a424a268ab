import { HOUR_MS } from '../iam.constants';
import { parseCredentialReport } from './credential-report.parser';
import { reportBytes, reportDate } from '../../../../test/support/credential-report.builder';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const hoursAgo = (h: number) => reportDate(new Date(NOW - h * HOUR_MS));

describe('parseCredentialReport last use', () => {
  let sut: typeof parseCredentialReport;

  beforeEach(() => {
    sut = parseCredentialReport;
  });

  const content = () =>
    reportBytes([
      {
        user: 'both-slots',
        access_key_1_active: 'true',
        access_key_1_last_rotated: hoursAgo(500),
        access_key_1_last_used_date: hoursAgo(2),
        access_key_1_last_used_region: 'eu-west-1',
        access_key_1_last_used_service: 's3',
        access_key_2_active: 'false',
        access_key_2_last_rotated: hoursAgo(400),
        access_key_2_last_used_date: 'N/A',
        access_key_2_last_used_region: 'N/A',
        access_key_2_last_used_service: 'N/A',
      },
      {
        user: '<root_account>',
        access_key_1_active: 'true',
        access_key_1_last_rotated: hoursAgo(9000),
        access_key_1_last_used_date: hoursAgo(3000),
        access_key_1_last_used_region: 'no_information',
        access_key_1_last_used_service: 'iam',
      },
    ]);

  it('reads both slots last-use columns when asked, N/A and no_information as null', async () => {
    const result = await sut(content(), { cutoff: NOW, includeInactive: true, lastUse: true });

    expect(result.candidates[0].keySlots.map((s) => s.lastUse)).toEqual([
      { lastUsedDate: new Date(NOW - 2 * HOUR_MS), lastUsedService: 's3', lastUsedRegion: 'eu-west-1' },
      { lastUsedDate: null, lastUsedService: null, lastUsedRegion: null },
    ]);
    expect(result.rootSlots.map((s) => s.lastUse)).toEqual([
      { lastUsedDate: new Date(NOW - 3000 * HOUR_MS), lastUsedService: 'iam', lastUsedRegion: null },
    ]);
  });

  it('leaves last use out when not asked, so the old-keys routes do not pay for it', async () => {
    const result = await sut(content(), { cutoff: NOW, includeInactive: true });

    expect(result.candidates[0].keySlots.every((s) => s.lastUse === undefined)).toBe(true);
    expect(result.rootSlots[0].lastUse).toBeUndefined();
  });

  it('names the row and column of an unreadable last-use date', async () => {
    const bad = reportBytes([
      {
        user: 'x',
        access_key_1_active: 'true',
        access_key_1_last_rotated: hoursAgo(5),
        access_key_1_last_used_date: 'yesterday',
      },
    ]);

    await expect(sut(bad, { cutoff: NOW, includeInactive: true, lastUse: true })).rejects.toThrow(
      'row 1 has an invalid access_key_1_last_used_date',
    );
  });
});
