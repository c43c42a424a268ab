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

/** Valid inputs remembered per DTO class: a dashboard polls with the same few parameters again and again. */
export const VALIDATED_INPUTS_MAX = 256;

/**
 * Refuses `__proto__`, `constructor` and `prototype` like any other unknown field, before class-transformer drops
 * them. A query or body that passed validation once is remembered by its exact JSON, so the same parameters
 * again get a copy of the same DTO without running class-transformer and class-validator anew: validation is a
 * pure function of the input, and refused inputs are never remembered, so every request is still validated
 * as strictly (a warm read spent most of its time here).
 */
class StrictValidationPipe extends ValidationPipe {
  private readonly valid = new WeakMap<object, Map<string, object>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body' && metadata.type !== 'query') {
      return super.transform(value, metadata) as Promise<unknown>;
    }
    const dropped = droppedKeys(value);
    if (dropped.length > 0) {
      throw new RequestValidationException(dropped);
    }
    const type = metadata.metatype;
    if (typeof value !== 'object' || value === null || type === undefined) {
      return super.transform(value, metadata) as Promise<unknown>;
    }
    const input = JSON.stringify(value);
    let known = this.valid.get(type);
    const held = known?.get(input);
    if (held) {
      return copyOf(held);
    }
    const dto: unknown = await super.transform(value, metadata);
    if (typeof dto === 'object' && dto !== null && Object.getPrototypeOf(dto) === type.prototype) {
      if (!known) {
        known = new Map();
        this.valid.set(type, known);
      }
      if (known.size >= VALIDATED_INPUTS_MAX) {
        known.delete(known.keys().next().value as string);
      }
      known.set(input, copyOf(dto));
    }
    return dto;
  }
}

/** A fresh DTO of the same class with its own copies of any lists, so a handler can never change the held one. */
function copyOf(dto: object): object {
  const copy = Object.create(Object.getPrototypeOf(dto) as object | null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(dto)) {
    copy[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return copy;
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
