import { randomUUID } from 'node:crypto';

export interface CapturedEmail {
  messageId: string;
  from?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject?: string;
  text?: string;
  html?: string;
  /** The decoded MIME message, for Content.Raw sends. */
  raw?: string;
  template?: { name?: string; arn?: string; data?: string };
  tags: { name: string; value: string }[];
  configurationSetName?: string;
  receivedAt: Date;
}

/** An SES v2 error as its REST JSON protocol reports it. */
export class SesError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = SesError.name;
  }
}

interface SesContent {
  Data?: string;
}

interface SendEmailRequest {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplyToAddresses?: string[];
  Content?: {
    Simple?: { Subject?: SesContent; Body?: { Text?: SesContent; Html?: SesContent } };
    Raw?: SesContent;
    Template?: { TemplateName?: string; TemplateArn?: string; TemplateData?: string };
  };
  EmailTags?: { Name: string; Value: string }[];
  ConfigurationSetName?: string;
}

function rawHeader(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return match?.[1].trim();
}

function addressList(value: string | undefined): string[] {
  return value
    ? value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
    : [];
}

function newMessageId(): string {
  return `0100${Date.now().toString(16).padStart(12, '0')}-${randomUUID()}-000000`;
}

/** Reads a SendEmail body into what tests want to look at; throws SesError for what SES would refuse. */
export function parseSendEmail(body: string): CapturedEmail {
  let request: SendEmailRequest;
  try {
    request = JSON.parse(body) as SendEmailRequest;
  } catch {
    throw new SesError('BadRequestException', 400, 'Request body is not valid JSON');
  }
  const content = request.Content;
  if (!content || (!content.Simple && !content.Raw && !content.Template)) {
    throw new SesError('BadRequestException', 400, 'Content is required');
  }
  const raw = content.Raw?.Data !== undefined ? Buffer.from(content.Raw.Data, 'base64').toString('utf8') : undefined;
  const destination = request.Destination ?? {};
  const email: CapturedEmail = {
    messageId: newMessageId(),
    from: request.FromEmailAddress ?? (raw ? rawHeader(raw, 'From') : undefined),
    to: destination.ToAddresses ?? (raw && !request.Destination ? addressList(rawHeader(raw, 'To')) : []),
    cc: destination.CcAddresses ?? (raw && !request.Destination ? addressList(rawHeader(raw, 'Cc')) : []),
    bcc: destination.BccAddresses ?? [],
    replyTo: request.ReplyToAddresses ?? [],
    subject: content.Simple?.Subject?.Data ?? (raw ? rawHeader(raw, 'Subject') : undefined),
    text: content.Simple?.Body?.Text?.Data,
    html: content.Simple?.Body?.Html?.Data,
    raw,
    template: content.Template
      ? { name: content.Template.TemplateName, arn: content.Template.TemplateArn, data: content.Template.TemplateData }
      : undefined,
    tags: (request.EmailTags ?? []).map((tag) => ({ name: tag.Name, value: tag.Value })),
    configurationSetName: request.ConfigurationSetName,
    receivedAt: new Date(),
  };
  if (!email.from) {
    throw new SesError('BadRequestException', 400, 'FromEmailAddress is required');
  }
  if (email.to.length + email.cc.length + email.bcc.length === 0) {
    throw new SesError('BadRequestException', 400, 'At least one recipient is required');
  }
  return email;
}

export function recipientsOf(email: CapturedEmail): string[] {
  return [...email.to, ...email.cc, ...email.bcc];
}
