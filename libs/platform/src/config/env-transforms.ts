import { Transform } from 'class-transformer';

/** Env vars are strings; an invalid number stays a string so the validator names it instead of NaN slipping through. */
export const ToInt = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim())) {
      return value;
    }
    return Number(value.trim());
  });

export const ToNumber = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(Number(value))) {
      return value;
    }
    return Number(value);
  });

export const ToBool = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') {
      return value;
    }
    const v = value.trim().toLowerCase();
    if (v === 'true' || v === '1' || v === 'yes') {
      return true;
    }
    if (v === 'false' || v === '0' || v === 'no') {
      return false;
    }
    return value;
  });

export const ToList = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : value,
  );
