import { NotifierExitCode } from '../notifier.constants';
import { exitCodeFor } from './exit-code';

describe(exitCodeFor.name, () => {
  let sut: typeof exitCodeFor;

  beforeEach(() => {
    sut = exitCodeFor;
  });

  it('is 0 when nothing failed', () => {
    expect(sut({ emailsFailed: 0 })).toBe(NotifierExitCode.Ok);
    expect(NotifierExitCode.Ok).toBe(0);
  });

  it('is 1 when at least one email failed', () => {
    expect(sut({ emailsFailed: 1 })).toBe(NotifierExitCode.DeliveryFailed);
    expect(NotifierExitCode.DeliveryFailed).toBe(1);
  });

  it('is 1 when an owner tag could not be read, though every email went out', () => {
    expect(sut({ emailsFailed: 0, ownerLookupsFailed: 1 })).toBe(NotifierExitCode.DeliveryFailed);
    expect(sut({ emailsFailed: 0, ownerLookupsFailed: 0 })).toBe(NotifierExitCode.Ok);
  });

  it('is 1 when an account could not be scanned, though every email went out: its keys were not checked', () => {
    expect(sut({ emailsFailed: 0, ownerLookupsFailed: 0, accountsFailed: 1 })).toBe(NotifierExitCode.DeliveryFailed);
    expect(sut({ emailsFailed: 0, ownerLookupsFailed: 0, accountsFailed: 0 })).toBe(NotifierExitCode.Ok);
  });

  it('is 2 when the run could not complete, whatever was sent', () => {
    expect(sut({ emailsFailed: 0, error: 'IAM denied ListUsers' })).toBe(NotifierExitCode.JobFailed);
    expect(NotifierExitCode.JobFailed).toBe(2);
  });
});
