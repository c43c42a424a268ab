import { getMaxListeners } from 'node:events';
import { IamErrorCode } from '../errors/iam.exception';
import { ScanDeadline, unlessAborted } from './scan-deadline';

describe(ScanDeadline.name, () => {
  it('lets every request of a wide scan listen on its one signal (no listener-leak warning) and ends them all', async () => {
    const sut = new ScanDeadline(50);
    try {
      // Node warns past this many listeners on one signal; 0 means no limit.
      expect(getMaxListeners(sut.signal)).toBe(0);
      const never = new Promise<never>(() => undefined);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => unlessAborted(never, sut.signal, `Call${i}`)),
      );

      expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as { code?: string }).code)).toEqual(
        Array.from({ length: 40 }, () => IamErrorCode.Timeout),
      );
    } finally {
      sut.dispose();
    }
  });
});
