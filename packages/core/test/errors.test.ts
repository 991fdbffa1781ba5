import { describe, expect, it } from 'vitest';
import {
  AccessorContainerNotEmptyError,
  AccessorError,
  AccessorOperationFailedError,
  AccessorResourceError,
  AccessorResourceNotFoundError,
  ComponentInLocationError,
  isTransientError,
  LocationError,
  StowageError,
  StructureError,
  withRetry,
} from '../src/index.js';

describe('errors', () => {
  it('follow the ftrack hierarchy', () => {
    const notFound = new AccessorResourceNotFoundError({ operation: 'stat', resourceIdentifier: 'a/b' });
    expect(notFound).toBeInstanceOf(AccessorResourceError);
    expect(notFound).toBeInstanceOf(AccessorOperationFailedError);
    expect(notFound).toBeInstanceOf(AccessorError);
    expect(notFound).toBeInstanceOf(StowageError);
    expect(notFound.name).toBe('AccessorResourceNotFoundError');
    expect(notFound.message).toBe('Resource not found (operation: stat, resource: "a/b")');
    expect(notFound.details).toMatchObject({ operation: 'stat', resourceIdentifier: 'a/b' });
    expect(new AccessorContainerNotEmptyError()).toBeInstanceOf(AccessorResourceError);
    expect(new ComponentInLocationError([{ id: 'x' }], { name: 'l' })).toBeInstanceOf(LocationError);
    expect(new StructureError('s')).toBeInstanceOf(StowageError);
  });

  it('carry cause and transient flag', () => {
    const cause = new Error('ECONNRESET');
    const error = new AccessorOperationFailedError({ operation: 'write', error: cause, transient: true });
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('ECONNRESET');
    expect(isTransientError(error)).toBe(true);
    expect(isTransientError(new Error('plain'))).toBe(false);
  });

  it('withRetry retries transient errors only', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new AccessorOperationFailedError({ transient: true });
        return 'ok';
      },
      { baseDelayMs: 1 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    let permanent = 0;
    await expect(
      withRetry(
        async () => {
          permanent++;
          throw new AccessorResourceNotFoundError();
        },
        { baseDelayMs: 1 },
      ),
    ).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    expect(permanent).toBe(1);
  });
});
