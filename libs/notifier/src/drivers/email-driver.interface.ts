import type { OutgoingEmail } from '../notifier.types';

export type EmailDriverKind = 'ses' | 'dry-run';

export interface DeliveryReceipt {
  /** SES message id, when the driver sent something. */
  messageId?: string;
  /** Files written, when the driver wrote the message instead of sending it. */
  files?: string[];
}

/** Delivers one rendered message to its single recipient; throws when it could not. */
export interface EmailDriver {
  readonly kind: EmailDriverKind;
  deliver(email: OutgoingEmail): Promise<DeliveryReceipt>;
}
