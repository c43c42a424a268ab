import { renderOwnerNotice, renderRunDigest } from './remediation-emails';

const NOTICE = {
  to: 'alice@example.com',
  accountId: '111111111111',
  userName: '<script>alice</script>',
  accessKeyId: 'AKIAREMEDIATEME00001',
  at: new Date('2026-11-24T10:05:30Z'),
};

describe(renderOwnerNotice.name, () => {
  it('before: the date it will be deactivated unless rotated or exempted, and how to do either', () => {
    const sut = renderOwnerNotice({ ...NOTICE, kind: 'before' }, 'enforce');

    expect(sut).toMatchObject({ kind: 'owner', to: 'alice@example.com', accessKeyIds: ['AKIAREMEDIATEME00001'] });
    expect(sut.subject).toBe('Will be deactivated on 2026-11-24: access key AKIAREMEDIATEME00001');
    expect(sut.text).toContain('will be deactivated on 2026-11-24 unless rotated or exempted');
    expect(sut.text).toContain('To rotate:');
    expect(sut.text).toContain('To ask for an exemption:');
  });

  it('after: the time it was deactivated, by whom; dry-run says it would have been', () => {
    expect(renderOwnerNotice({ ...NOTICE, kind: 'after' }, 'enforce').text).toContain(
      'was deactivated at 2026-11-24 10:05 UTC by iam-key-monitor',
    );
    const dry = renderOwnerNotice({ ...NOTICE, kind: 'after' }, 'dry-run');
    expect(dry.subject).toBe('Would have been deactivated: access key AKIAREMEDIATEME00001');
    expect(dry.text).toContain('dry-run: it is still active');
  });

  it('escapes what IAM names in the HTML', () => {
    const sut = renderOwnerNotice({ ...NOTICE, kind: 'after' }, 'enforce');

    expect(sut.html).not.toContain('<script>');
    expect(sut.html).toContain('&lt;script&gt;alice&lt;/script&gt;');
  });
});

describe(renderRunDigest.name, () => {
  const decisions = [
    {
      accountId: '111111111111',
      userName: 'alice',
      accessKeyId: 'AKIA1',
      outcome: 'deactivated',
      reason: 'expired-past-grace',
    },
    { accountId: '111111111111', userName: null, accessKeyId: 'AKIA2', outcome: 'spared', reason: 'used-recently' },
  ] as const;

  it('lists every decision of the run, counting actions apart from spared keys', () => {
    const sut = renderRunDigest('sec@example.com', 4, 'enforce', decisions);

    expect(sut.subject).toBe('Remediation run 4 (enforce): 1 action(s), 2 decision(s)');
    expect(sut.text).toContain('- Deactivated (expired-past-grace): 111111111111 alice AKIA1');
    expect(sut.text).toContain('- Spared (used-recently): 111111111111 ? AKIA2');
    expect(sut.accessKeyIds).toEqual(['AKIA1', 'AKIA2']);
  });

  it('heads a refused run with the alert', () => {
    const sut = renderRunDigest('sec@example.com', 5, 'enforce', decisions, '12 actions wanted, more than 10');

    expect(sut.subject).toBe('Remediation run 5 refused: 12 actions wanted, more than 10');
    expect(sut.text).toContain('misconfiguration or of a mass event');
  });

  it("heads a run the kill switch stopped with how many actions it left and the operator's reason", () => {
    const stoppedBy = { reason: 'INC-4711 <b>mass event</b>', left: 3 };
    const sut = renderRunDigest('sec@example.com', 6, 'enforce', decisions, undefined, stoppedBy);

    expect(sut.subject).toBe('Remediation run 6 (enforce) stopped by the kill switch: 1 action(s), 2 decision(s)');
    expect(sut.text).toContain(
      'Run 6 in enforce mode was stopped by the kill switch before 3 action(s), recorded as refused (kill-switch). Reason given: INC-4711 <b>mass event</b>.',
    );
    expect(sut.html).toContain('Reason given: INC-4711 &lt;b&gt;mass event&lt;/b&gt;.');
    expect(
      renderRunDigest('sec@example.com', 6, 'enforce', decisions, undefined, { reason: '', left: 1 }).text,
    ).toContain('Reason given: (none).');
  });
});
