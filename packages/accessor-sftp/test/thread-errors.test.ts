import {
  AccessorIntegrityError,
  AccessorOperationFailedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  appearedDuringWrite,
  isTransientError,
  markAppearedDuringWrite,
  OperationAbortedError,
  type StowageError,
} from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { fromThreadError, toThreadError } from '../src/thread-errors.js';

/** An error as it arrives from a thread: turned into data, cloned as postMessage does, rebuilt. */
function acrossThreads(error: unknown): StowageError {
  return fromThreadError(structuredClone(toThreadError(error)));
}

describe('errors across upload threads', () => {
  it('keep their Stowage class, message, operation, identifier, details and transient flag', () => {
    const original = markAppearedDuringWrite(
      new AccessorResourceExistsError({ operation: 'write', resourceIdentifier: 'seq/f.0001.exr' }),
    );
    const rebuilt = acrossThreads(original);
    expect(rebuilt).toBeInstanceOf(AccessorResourceExistsError);
    expect(rebuilt.name).toBe('AccessorResourceExistsError');
    expect(rebuilt.message).toBe(original.message);
    expect(rebuilt).toMatchObject({
      operation: 'write',
      resourceIdentifier: 'seq/f.0001.exr',
      transient: false,
    });
    // The transfer engine's adopt rule reads this mark.
    expect(appearedDuringWrite(rebuilt)).toBe(true);
    // The thread's stack is the cause, for whoever debugs it.
    expect((rebuilt.cause as Error).stack).toContain('AccessorResourceExistsError');
  });

  it('keep transient, so the engine retries what may pass', () => {
    const rebuilt = acrossThreads(
      new AccessorIntegrityError({
        operation: 'write',
        resourceIdentifier: 'a',
        transient: true,
        details: { size: 3 },
      }),
    );
    expect(rebuilt).toBeInstanceOf(AccessorIntegrityError);
    expect(isTransientError(rebuilt)).toBe(true);
    expect(rebuilt.details).toMatchObject({ size: 3, operation: 'write', resourceIdentifier: 'a' });
  });

  it('rebuild classes whose constructors take other arguments', () => {
    const identifier = acrossThreads(new AccessorResourceIdentifierError('../x', 'leaves the root'));
    expect(identifier).toBeInstanceOf(AccessorResourceIdentifierError);
    expect(identifier.message).toBe(new AccessorResourceIdentifierError('../x', 'leaves the root').message);
    const aborted = acrossThreads(new OperationAbortedError());
    expect(aborted).toBeInstanceOf(OperationAbortedError);
    expect(aborted.message).toBe('Operation aborted.');
  });

  it('turn anything else into AccessorOperationFailedError with its message', () => {
    const plain = acrossThreads(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(plain).toBeInstanceOf(AccessorOperationFailedError);
    expect(plain.message).toBe('socket hang up');
    const invented = fromThreadError({ name: 'toString', message: 'not a class' });
    expect(invented).toBeInstanceOf(AccessorOperationFailedError);
    expect(acrossThreads('a string').message).toBe('a string');
  });

  it('describe details that cannot be cloned instead of failing the reply', () => {
    const error = new AccessorOperationFailedError({
      operation: 'write',
      details: { handle: () => {}, size: 5 },
    });
    const rebuilt = acrossThreads(error);
    expect(rebuilt.details.size).toBe(5);
    expect(typeof rebuilt.details.handle).toBe('string');
  });
});
