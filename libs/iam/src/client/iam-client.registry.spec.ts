import { Logger } from '@nestjs/common';
import { testIamConfig } from '../testing/iam-config.fixture';
import { IamAccountClient } from './iam-account.client';
import type { IamCallObserver } from './iam-call-observer';
import { IamClientProvider } from './iam-client.provider';
import { IamClientRegistry } from './iam-client.registry';

const OWN = '111111111111';
const MEMBER = '222222222222';
const credentials = () => Promise.resolve({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'x' });

describe(IamClientRegistry.name, () => {
  let own: IamClientProvider;
  let sut: IamClientRegistry;
  const observer: IamCallObserver = { onAttempt: jest.fn() };

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    const config = testIamConfig();
    own = new IamClientProvider(config, observer);
    sut = new IamClientRegistry(config, own, observer);
  });

  it('serves the own account with the process-wide client, named after its account', async () => {
    const client = await sut.forAccount({ accountId: OWN, accountName: 'management', self: true });

    expect(client).toBe(own);
    expect(sut.self()).toBe(own);
    expect(own.accountId).toBe(OWN);
    expect(own.accountName).toBe('management');
    expect(sut.get(OWN)).toBe(own);
  });

  it('makes one client per member account, however many ask at once, each with a pace of its own', async () => {
    const account = { accountId: MEMBER, accountName: 'dev', self: false, credentials };

    const clients = await Promise.all(Array.from({ length: 20 }, () => sut.forAccount(account)));
    const other = await sut.forAccount({ accountId: '333333333333', self: false, credentials });

    expect(new Set(clients).size).toBe(1);
    expect(clients[0]).toBeInstanceOf(IamAccountClient);
    expect(clients[0]).not.toBe(own);
    expect(clients[0].accountLabel).toBe(MEMBER);
    expect(sut.get(MEMBER)).toBe(clients[0]);
    expect(new Set([own.rateGovernor, clients[0].rateGovernor, other.rateGovernor]).size).toBe(3);
    expect(sut.all()).toEqual([own, clients[0], other]);
    expect(sut.get('444444444444')).toBeUndefined();
  });

  it('starts a new member at the fastest pace a throttled account confirmed, the first ones unpaced', async () => {
    const first = await sut.forAccount({ accountId: MEMBER, self: false, credentials });
    expect(first.rateGovernor.ratePerSecond).toBe(Infinity);
    const learnt = (client: IamAccountClient, rate: number | undefined) =>
      jest.spyOn(client.rateGovernor, 'learntRatePerSecond', 'get').mockReturnValue(rate);
    learnt(own, 6);
    learnt(first, 20);
    const second = await sut.forAccount({ accountId: '333333333333', self: false, credentials });
    learnt(second, 7);
    const third = await sut.forAccount({ accountId: '444444444444', self: false, credentials });
    learnt(third, undefined);
    const fourth = await sut.forAccount({ accountId: '555555555555', self: false, credentials });

    // The fastest of [6, 20] and then of [6, 20, 7] (the median would be 7: two slow learners slowing the rest).
    for (const member of [second, third]) {
      expect(member.rateGovernor.ratePerSecond).toBeCloseTo(0.85 * 20);
    }
    expect(fourth.rateGovernor.ratePerSecond).toBeCloseTo(0.85 * 20);
  });

  it('closes the member clients when the module stops, and forgets them', async () => {
    const member = await sut.forAccount({ accountId: MEMBER, self: false, credentials });
    const destroy = jest.spyOn(member, 'destroy');
    const ownDestroy = jest.spyOn(own, 'destroy');

    await sut.onModuleDestroy();

    expect(destroy).toHaveBeenCalledTimes(1);
    expect(ownDestroy).not.toHaveBeenCalled(); // the own client closes with its own provider
    expect(sut.get(MEMBER)).toBeUndefined();
  });
});
