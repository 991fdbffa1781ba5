import * as core from '@stowage/core';
import { AccessorOperationFailedError, StowageError } from '@stowage/core';

/** An error as it crosses from an upload thread: plain data, the class by name. */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string | undefined;
  details?: Record<string, unknown>;
  transient?: boolean;
  operation?: string;
  resourceIdentifier?: string;
}

/** The error as data (errors lose their class in postMessage). */
export function toThreadError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const data: ThreadError = { name: error.name, message: error.message, stack: error.stack };
  if (error instanceof StowageError) {
    data.details = cloneable(error.details);
    data.transient = error.transient;
  }
  if (error instanceof AccessorOperationFailedError) {
    data.operation = error.operation;
    if (error.resourceIdentifier !== undefined) data.resourceIdentifier = error.resourceIdentifier;
  }
  return data;
}

/**
 * The typed error again, on this side: the same Stowage class (by name, so
 * `instanceof` and the transfer engine's retry and adopt rules hold), message,
 * details and `transient`; the thread's own stack is kept as the cause. A
 * name that is not a Stowage error becomes AccessorOperationFailedError.
 */
export function fromThreadError(data: ThreadError): StowageError {
  const candidate = (core as Record<string, unknown>)[data.name];
  const known =
    typeof candidate === 'function' &&
    (candidate === StowageError || candidate.prototype instanceof StowageError);
  const cause = Object.assign(new Error(data.message), {
    name: data.name,
    stack: data.stack ?? `${data.name}: ${data.message}\n    (in an SFTP upload thread)`,
  });
  const options = { details: data.details ?? {}, transient: data.transient ?? false, cause };
  if (!known)
    return new AccessorOperationFailedError({
      message: data.message,
      ...options,
      ...(data.operation !== undefined ? { operation: data.operation } : {}),
      ...(data.resourceIdentifier !== undefined ? { resourceIdentifier: data.resourceIdentifier } : {}),
    });
  // StowageError's constructor with the subclass as new.target: the right
  // prototype and name whatever the subclass's own constructor takes.
  const error = Reflect.construct(StowageError, [data.message, options], candidate) as StowageError;
  if (data.operation !== undefined) Object.assign(error, { operation: data.operation });
  if (data.operation !== undefined || data.resourceIdentifier !== undefined)
    Object.assign(error, { resourceIdentifier: data.resourceIdentifier });
  return error;
}

/** Details survive structured cloning only as plain data; anything else is described. */
function cloneable(details: Record<string, unknown>): Record<string, unknown> {
  try {
    return structuredClone(details);
  } catch {
    return Object.fromEntries(
      Object.entries(details).map(([key, value]) => {
        try {
          return [key, structuredClone(value)];
        } catch {
          return [key, String(value)];
        }
      }),
    );
  }
}
