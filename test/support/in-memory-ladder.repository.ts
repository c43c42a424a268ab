import type {
  DigestRecord,
  Ladder,
  LadderClosing,
  LadderOpening,
  LadderRepository,
  OpenLadder,
  RotationTimes,
  StageRecord,
  UnreportedResolution,
} from '@app/store';

type StoredLadder = Ladder & { reportedAt: Date | null };

/** The LadderRepository's contract in memory, for unit specs of what uses it (the store suite covers the SQL). */
export class InMemoryLadderRepository implements Pick<
  LadderRepository,
  | 'openLadders'
  | 'open'
  | 'describeKeys'
  | 'close'
  | 'recordStage'
  | 'recordStages'
  | 'unreportedResolutions'
  | 'markReported'
  | 'openedBetween'
  | 'resolvedBetween'
  | 'rotationTimes'
  | 'recordDigest'
  | 'lastDigestAt'
> {
  readonly ladders: StoredLadder[] = [];
  readonly stages: StageRecord[] = [];
  readonly digests: DigestRecord[] = [];

  openLadders(accountIds?: readonly string[]): Promise<OpenLadder[]> {
    return Promise.resolve(
      this.ladders
        .filter((l) => l.closedAt === null && (!accountIds || accountIds.includes(l.accountId)))
        .map((l) => ({ ...this.plain(l), sent: this.stages.filter((s) => s.ladderId === l.id) })),
    );
  }

  open(openings: readonly LadderOpening[]): Promise<Ladder[]> {
    const opened: Ladder[] = [];
    for (const o of openings) {
      if (this.ladders.some((l) => l.accountId === o.accountId && l.accessKeyId === o.accessKeyId && !l.closedAt)) {
        continue;
      }
      const ladder: StoredLadder = {
        ...o,
        id: this.ladders.length + 1,
        startStage: 'warning',
        closedAt: null,
        resolution: null,
        rotatedTo: null,
        reportedAt: null,
      };
      this.ladders.push(ladder);
      opened.push(this.plain(ladder));
    }
    return Promise.resolve(opened);
  }

  describeKeys(keys: ReadonlyArray<{ ladderId: number; userName: string; keyCreatedAt: Date }>): Promise<void> {
    for (const k of keys) {
      Object.assign(this.byId(k.ladderId), { userName: k.userName, keyCreatedAt: k.keyCreatedAt });
    }
    return Promise.resolve();
  }

  close(closings: readonly LadderClosing[]): Promise<number> {
    let closed = 0;
    for (const c of closings) {
      const l = this.byId(c.ladderId);
      if (!l.closedAt) {
        Object.assign(l, { closedAt: c.closedAt, resolution: c.resolution, rotatedTo: c.rotatedTo ?? null });
        closed++;
      }
    }
    return Promise.resolve(closed);
  }

  recordStage(record: StageRecord): Promise<boolean> {
    if (this.stages.some((s) => s.ladderId === record.ladderId && s.stage === record.stage)) {
      return Promise.resolve(false);
    }
    this.stages.push(record);
    return Promise.resolve(true);
  }

  async recordStages(records: readonly StageRecord[]): Promise<Array<Pick<StageRecord, 'ladderId' | 'stage'>>> {
    const recorded: Array<Pick<StageRecord, 'ladderId' | 'stage'>> = [];
    for (const r of records) {
      if (await this.recordStage(r)) {
        recorded.push({ ladderId: r.ladderId, stage: r.stage });
      }
    }
    return recorded;
  }

  unreportedResolutions(): Promise<UnreportedResolution[]> {
    return Promise.resolve(
      this.ladders.flatMap((l) => {
        const sent = this.stages.filter((s) => s.ladderId === l.id);
        return l.closedAt && l.resolution && l.resolution !== 'restarted' && !l.reportedAt && sent.length > 0
          ? [
              {
                ...this.plain(l),
                closedAt: l.closedAt,
                resolution: l.resolution,
                lastRecipient: sent.at(-1)!.recipient,
              },
            ]
          : [];
      }),
    );
  }

  markReported(ladderIds: readonly number[], at: Date): Promise<void> {
    for (const id of ladderIds) {
      this.byId(id).reportedAt ??= at;
    }
    return Promise.resolve();
  }

  openedBetween(since: Date | null, until: Date): Promise<Ladder[]> {
    return Promise.resolve(
      this.ladders
        .filter((l) => (!since || l.openedAt > since) && l.openedAt <= until && l.startStage === 'warning')
        .map((l) => this.plain(l)),
    );
  }

  resolvedBetween(since: Date | null, until: Date): Promise<Ladder[]> {
    return Promise.resolve(
      this.ladders
        .filter(
          (l) => l.closedAt && l.resolution !== 'restarted' && (!since || l.closedAt > since) && l.closedAt <= until,
        )
        .map((l) => this.plain(l)),
    );
  }

  rotationTimes(): Promise<RotationTimes> {
    return Promise.resolve({ medianDays: null, rotations: 0 });
  }

  recordDigest(record: DigestRecord): Promise<void> {
    this.digests.push(record);
    return Promise.resolve();
  }

  lastDigestAt(): Promise<Date | null> {
    return Promise.resolve(
      this.digests.reduce<Date | null>((max, d) => (!max || d.sentAt > max ? d.sentAt : max), null),
    );
  }

  private byId(id: number): StoredLadder {
    const l = this.ladders.find((x) => x.id === id);
    if (!l) {
      throw new Error(`no ladder ${id}`);
    }
    return l;
  }

  private plain(l: StoredLadder): Ladder {
    const { reportedAt: _reportedAt, ...ladder } = l;
    return { ...ladder };
  }
}
