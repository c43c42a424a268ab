import { Injectable } from '@nestjs/common';
import { IamClientRegistry, type AccountRef } from '@app/iam';
import type { OwnerTagReader } from './owner-resolver.service';

/** Reads tags through the IAM client the scan used for that account: its credentials, pace and rate limit. */
@Injectable()
export class RegistryOwnerTagReader implements OwnerTagReader {
  constructor(private readonly registry: IamClientRegistry) {}

  listUserTags(account: AccountRef, userName: string): Promise<Record<string, string>> {
    const client = this.registry.get(account.accountId);
    if (!client) {
      return Promise.reject(
        new Error(`Account ${account.accountId} was not scanned in this run: no IAM client for it`),
      );
    }
    return client.listUserTags(userName);
  }
}
