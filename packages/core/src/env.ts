import { AccessorError } from './errors.js';

/** Environment variables as accessors read them (process.env, or a plain object in tests). */
export type Env = Record<string, string | undefined>;

/** The first of `names` set to a non-empty value in `env`. */
export function envValue(env: Env, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** A whole number >= 0 read from variable `name` (0 meaning off), or undefined when unset; AccessorError otherwise. */
export function nonNegativeIntegerFromEnv(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isInteger(number) || number < 0) {
    throw new AccessorError(`${name} must be a whole number >= 0, got ${JSON.stringify(value)}.`, {
      details: { variable: name },
    });
  }
  return number;
}

/** A positive integer read from variable `name`, or undefined when unset; AccessorError otherwise. */
export function positiveIntegerFromEnv(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) {
    throw new AccessorError(`${name} must be a positive integer, got ${JSON.stringify(value)}.`, {
      details: { variable: name },
    });
  }
  return number;
}
