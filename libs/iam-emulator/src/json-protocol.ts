export const AMZ_JSON_1_1 = 'application/x-amz-json-1.1';

/** An error of a JSON 1.1 service: the SDK names it by `__type`. */
export class JsonError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = JsonError.name;
  }
}

export type JsonInput = Record<string, unknown>;

export function parseJsonInput(body: string): JsonInput {
  if (body.trim() === '') {
    return {};
  }
  try {
    const input: unknown = JSON.parse(body);
    if (input && typeof input === 'object' && !Array.isArray(input)) {
      return input as JsonInput;
    }
  } catch {
    // answered below, as AWS answers a body it cannot read
  }
  throw new JsonError('SerializationException', 400, 'The request body is not a JSON object.');
}

export function jsonErrorBody(error: JsonError): string {
  return JSON.stringify({ __type: error.type, message: error.message });
}

/** The operation named by `X-Amz-Target: <service prefix>.<Operation>`. */
export function targetOperation(target: string | string[] | undefined, prefix: string): string | undefined {
  const value = Array.isArray(target) ? target[0] : target;
  return value?.startsWith(`${prefix}.`) ? value.slice(prefix.length + 1) : undefined;
}
