import { IamErrorCode } from '../errors/iam.exception';
import { ScanDeadline, unlessAborted } from './scan-deadline';

describe(ScanDeadline.name, () => {
  it('lets every request of a wide scan listen on its signal without a listener-leak warning, and ends them all', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const sut = new ScanDeadline(50);
    try {
      const never = new Promise<never>(() => undefined);
      const waits = Array.from({ length: 40 }, (_, i) => unlessAborted(never, sut.signal, `Call${i}`));
      const outcomes = await Promise.allSettled(waits);
      await new Promise((resolve) => setImmediate(resolve));

      expect(warnings).toEqual([]);
      expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as { code?: string }).code)).toEqual(
        Array.from({ length: 40 }, () => IamErrorCode.Timeout),
      );
    } finally {
      sut.dispose();
      process.off('warning', onWarning);
    }
  });
});
