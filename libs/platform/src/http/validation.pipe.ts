import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import type { FieldErrorDto } from './error-body';

function flatten(errors: ValidationError[], prefix = ''): FieldErrorDto[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: [...new Set(Object.values(e.constraints))] }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

export class RequestValidationException extends BadRequestException {
  constructor(readonly fields: FieldErrorDto[]) {
    super(fields.map((f) => f.messages.join('; ')).join('; '));
  }
}

/** Keys class-transformer drops without a word (prototype pollution guards), so the whitelist never sees them. */
const SILENTLY_DROPPED = new Set(['__proto__', 'constructor', 'prototype']);

function droppedKeys(value: unknown, prefix = ''): FieldErrorDto[] {
  if (typeof value !== 'object' || value === null) {
    return [];
  }
  return Object.entries(value).flatMap(([key, child]) => {
    const field = prefix ? `${prefix}.${key}` : key;
    const own = SILENTLY_DROPPED.has(key) ? [{ field, messages: [`property ${field} should not exist`] }] : [];
    return [...own, ...droppedKeys(child, field)];
  });
}

/** Refuses `__proto__`, `constructor` and `prototype` like any other unknown field, before class-transformer drops them. */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const dropped = droppedKeys(value);
      if (dropped.length > 0) {
        throw new RequestValidationException(dropped);
      }
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** Strict: unknown parameters are errors, not silently dropped, so a typo like `hour=24` is caught. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new RequestValidationException(flatten(errors)),
  });
}
