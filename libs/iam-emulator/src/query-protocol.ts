export const IAM_XML_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const IAM_API_VERSION = '2010-05-08';

export type XmlValue = string | number | boolean | Date | undefined | XmlNode | XmlValue[];
export interface XmlNode {
  [element: string]: XmlValue;
}

/** An IAM error as the Query protocol reports it; `type` is Sender for the caller's fault, Receiver for ours. */
export class QueryError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
    this.name = QueryError.name;
  }
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]);
}

/** IAM timestamps: ISO 8601 in UTC with milliseconds. */
export function formatIamDate(date: Date): string {
  return date.toISOString();
}

function renderValue(value: XmlValue): string {
  if (value === undefined) {
    return '';
  }
  if (value instanceof Date) {
    return formatIamDate(value);
  }
  if (Array.isArray(value)) {
    return value.map((item) => `<member>${renderValue(item)}</member>`).join('');
  }
  if (typeof value === 'object') {
    return renderXml(value);
  }
  return escapeXml(String(value));
}

/** Undefined members are left out, as IAM leaves out absent optional fields. */
export function renderXml(node: XmlNode): string {
  return Object.entries(node)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<${name}>${renderValue(value)}</${name}>`)
    .join('');
}

export function queryResponse(
  action: string,
  result: XmlNode | undefined,
  requestId: string,
  namespace = IAM_XML_NAMESPACE,
): string {
  const body = result ? `<${action}Result>${renderXml(result)}</${action}Result>` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${action}Response xmlns="${namespace}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function queryErrorResponse(error: QueryError, requestId: string, namespace = IAM_XML_NAMESPACE): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${error.type}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
