import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, type INestApplication } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { FINDINGS_CLOCK } from '@app/findings';
import { DEFAULT_ACCOUNT_ID, IamEmulator, IamAccount, type CapturedEmail } from '@app/iam-emulator';
import {
  REMEDIATION_CLOCK,
  REMEDIATION_KILL_SWITCH,
  RemediationJob,
  type KillSwitch,
  type RemediationPlan,
  type RemediationRunSummary,
} from '@app/remediation';
import {
  LadderRepository,
  NotificationsRepository,
  RemediationRepository,
  StoreModule,
  type RemediationDecision,
} from '@app/store';
import { createValidationPipe } from '@app/platform';
import { API_APP_OPTIONS, configureApp } from '../../apps/api/src/configure-app';
import { ApiExceptionFilter } from '../../apps/api/src/http/api-exception.filter';
import { RemediationsController } from '../../apps/api/src/remediations/remediations.controller';
import { RemediatorAppModule } from '../../apps/remediator/src/remediator-app.module';
import { StoreFixture } from '../store/support/store-fixture';

export const ACCOUNT = DEFAULT_ACCOUNT_ID;
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const SECURITY = 'security@example.com';

/**
 * The remediator's real module graph on the IAM + SES emulator and an embedded store of its own, with a clock the
 * test moves (the job's, and the exemptions file's) and, when asked, a kill switch the test controls.
 */
export class RemediationHarness {
  readonly account = new IamAccount();
  readonly emulator = new IamEmulator({ account: this.account });
  readonly store = new StoreFixture('pglite');
  now: Date;
  killSwitch?: KillSwitch;
  /** Serves the API's GET /v1/remediations from the same store, over real HTTP (see `apiUrl`). */
  withApi = false;
  apiUrl?: string;
  private api?: INestApplication;
  private saved: NodeJS.ProcessEnv = {};
  private dir = mkdtempSync(join(tmpdir(), 'remediation-e2e-'));
  private moduleRef?: TestingModule;

  constructor(now: Date) {
    this.now = now;
  }

  async start(env: Record<string, string>, exemptions?: string): Promise<void> {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await this.store.setup();
    await this.emulator.start();
    let exemptionsFile: Record<string, string> = {};
    if (exemptions) {
      const file = join(this.dir, 'exemptions.yaml');
      writeFileSync(file, exemptions);
      exemptionsFile = { EXEMPTIONS_FILE: file };
    }
    this.saved = { ...process.env };
    process.env = {
      ...this.saved,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret',
      AWS_ENDPOINT_URL_IAM: this.emulator.url,
      AWS_ENDPOINT_URL_SESV2: this.emulator.url,
      AWS_ENDPOINT_URL_STS: this.emulator.url,
      IAM_MAX_ATTEMPTS: '1',
      NOTIFIER_SENDER: 'IAM Key Monitor <iam-keys@example.com>',
      NOTIFIER_FALLBACK_RECIPIENTS: SECURITY,
      NOTIFIER_SES_MAX_ATTEMPTS: '1',
      DATA_DIR: this.store.dir,
      REMEDIATION_MODE: 'enforce',
      REMEDIATION_ACCOUNTS: ACCOUNT,
      REMEDIATION_WINDOW: 'Sun-Sat 00-24',
      ...exemptionsFile,
      ...env,
    };
    await this.open();
  }

  /**
   * Closes the remediator's module, its store with it (the data-dir lock released: another app may open it), and
   * keeps the store's data, the emulator and the environment.
   */
  async close(): Promise<void> {
    await (this.api ?? this.moduleRef)?.close();
    this.api = undefined;
    this.moduleRef = undefined;
  }

  /** Closes and opens the module again on the same store with these settings on top (say dry-run, then enforce). */
  async restart(env: Record<string, string>): Promise<void> {
    await this.close();
    process.env = { ...process.env, ...env };
    await this.open();
  }

  private async open(): Promise<void> {
    let builder = Test.createTestingModule({
      // StoreModule again: the same instance the remediator uses, in scope for the API's controller.
      imports: [RemediatorAppModule, StoreModule],
      controllers: this.withApi ? [RemediationsController] : [],
      providers: this.withApi
        ? [
            { provide: APP_PIPE, useFactory: createValidationPipe },
            { provide: APP_FILTER, useClass: ApiExceptionFilter },
          ]
        : [],
    })
      .overrideProvider(REMEDIATION_CLOCK)
      .useValue(() => this.now)
      .overrideProvider(FINDINGS_CLOCK)
      .useValue(() => this.now);
    if (this.killSwitch) {
      builder = builder.overrideProvider(REMEDIATION_KILL_SWITCH).useValue(this.killSwitch);
    }
    this.moduleRef = await builder.compile();
    if (this.withApi) {
      this.api = configureApp(this.moduleRef.createNestApplication({ ...API_APP_OPTIONS, logger: false }));
      await this.api.listen(0, '127.0.0.1');
      this.apiUrl = await this.api.getUrl();
    } else {
      await this.moduleRef.init();
    }
  }

  async stop(): Promise<void> {
    await this.close();
    process.env = this.saved;
    await this.emulator.stop();
    await this.store.teardown();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private get ref(): TestingModule {
    if (!this.moduleRef) {
      throw new Error('harness not started');
    }
    return this.moduleRef;
  }

  get job(): RemediationJob {
    return this.ref.get(RemediationJob);
  }

  run(): Promise<RemediationRunSummary> {
    return this.job.run();
  }

  plan(): Promise<RemediationPlan | null> {
    return this.job.plan();
  }

  /**
   * A user with one key, and its ladder as the notifier leaves it: opened, and the stages SES accepted recorded on it.
   * `legacy` records them as rows without a ladder, as before ladders existed.
   */
  async expiredKey(
    userName: string,
    accessKeyId: string,
    ladder: { finalDaysAgo?: number; expiredDaysAgo?: number; legacy?: boolean },
    key: { createdDaysAgo?: number; lastUsedHoursAgo?: number; status?: 'Active' | 'Inactive' } = {},
  ): Promise<void> {
    const createDate = this.ago((key.createdDaysAgo ?? 100) * DAY_MS);
    this.account.addUser({
      userName,
      createDate: this.ago(400 * DAY_MS),
      accessKeys: [
        {
          accessKeyId,
          status: key.status ?? 'Active',
          createDate,
          lastUsed:
            key.lastUsedHoursAgo === undefined
              ? undefined
              : { date: this.ago(key.lastUsedHoursAgo * HOUR_MS), serviceName: 's3', region: 'us-east-1' },
        },
      ],
    });
    if (ladder.legacy) {
      const notifications = this.ref.get(NotificationsRepository);
      for (const [stage, daysAgo] of this.stages(ladder)) {
        await notifications.record({
          accountId: ACCOUNT,
          accessKeyId,
          stage,
          recipient: `${userName}@example.com`,
          sesMessageId: `ses-${accessKeyId}-${stage}`,
          sentAt: this.ago(daysAgo * DAY_MS),
        });
      }
      return;
    }
    const [opened] = await this.ladders.open([
      { accountId: ACCOUNT, accessKeyId, userName, keyCreatedAt: createDate, openedAt: this.ago(40 * DAY_MS) },
    ]);
    await this.sendStages(opened.id, accessKeyId, `${userName}@example.com`, ladder);
  }

  /** Records stages on a ladder as the notifier does once SES accepted them. */
  async sendStages(
    ladderId: number,
    accessKeyId: string,
    recipient: string,
    ladder: { finalDaysAgo?: number; expiredDaysAgo?: number },
  ): Promise<void> {
    for (const [stage, daysAgo] of this.stages(ladder)) {
      await this.ladders.recordStage({
        ladderId,
        accountId: ACCOUNT,
        accessKeyId,
        stage,
        recipient,
        sesMessageId: `ses-${ladderId}-${stage}`,
        sentAt: this.ago(daysAgo * DAY_MS),
      });
    }
  }

  get remediations(): RemediationRepository {
    return this.ref.get(RemediationRepository);
  }

  get ladders(): LadderRepository {
    return this.ref.get(LadderRepository);
  }

  private stages(ladder: { finalDaysAgo?: number; expiredDaysAgo?: number }): Array<[string, number]> {
    const stages: Array<[string, number | undefined]> = [
      ['final', ladder.finalDaysAgo],
      ['expired', ladder.expiredDaysAgo],
    ];
    return stages.filter((s): s is [string, number] => s[1] !== undefined);
  }

  ago(ms: number): Date {
    return new Date(this.now.getTime() - ms);
  }

  status(accessKeyId: string): string | undefined {
    return this.account.findAccessKey(accessKeyId)?.key.status;
  }

  writes(): Record<string, number> {
    const { requests } = this.emulator.counters;
    return { UpdateAccessKey: requests.UpdateAccessKey ?? 0, DeleteAccessKey: requests.DeleteAccessKey ?? 0 };
  }

  async decisions(
    runId?: number | null,
  ): Promise<Array<Pick<RemediationDecision, 'accessKeyId' | 'outcome' | 'reason'>>> {
    const repo = this.ref.get(RemediationRepository);
    const rows = runId ? await repo.decisionsOfRun(runId) : (await repo.list({ limit: 1000 })).reverse();
    return rows.map(({ accessKeyId, outcome, reason }) => ({ accessKeyId, outcome, reason }));
  }

  emails(): CapturedEmail[] {
    return this.emulator.sentEmails;
  }
}
