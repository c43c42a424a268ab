import { randomBytes } from 'node:crypto';

function encodeHeader(value: string): string {
  // RFC 2047 encoded-word when the header is not plain ASCII; CR/LF can never reach a header either way.
  const clean = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

function base64Lines(content: string): string {
  return (
    Buffer.from(content, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g)
      ?.join('\r\n') ?? ''
  );
}

export interface MimeInput {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  date: Date;
}

/** A multipart/alternative RFC 5322 message (what SES would build), for dry runs to open in a mail client. */
export function buildMimeMessage(
  input: MimeInput,
  boundary = `=_iam-key-monitor_${randomBytes(8).toString('hex')}`,
): string {
  return [
    `From: ${encodeHeader(input.from)}`,
    `To: ${encodeHeader(input.to)}`,
    `Subject: ${encodeHeader(input.subject)}`,
    `Date: ${input.date.toUTCString()}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(input.text),
    `--${boundary}`,
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(input.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}
