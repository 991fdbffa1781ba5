import {
  type AccessorOperationFailedError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceNotFoundError,
  OperationAbortedError,
} from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { redact, toAccessorError } from '../src/index.js';

const op = { operation: 'write', resourceIdentifier: 'a/b.exr' };
const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });

describe('toAccessorError', () => {
  it('maps S3 codes and statuses to the core error classes', () => {
    expect(toAccessorError(sdkError('NoSuchKey', 404), op)).toBeInstanceOf(AccessorResourceNotFoundError);
    expect(toAccessorError(sdkError('NotFound', 404), op)).toBeInstanceOf(AccessorResourceNotFoundError);
    expect(toAccessorError(sdkError('AccessDenied', 403), op)).toBeInstanceOf(AccessorPermissionDeniedError);
    expect(toAccessorError(sdkError('SignatureDoesNotMatch', 403), op)).toBeInstanceOf(
      AccessorPermissionDeniedError,
    );
    expect(toAccessorError(sdkError('PreconditionFailed', 412), op)).toBeInstanceOf(
      AccessorResourceExistsError,
    );
    expect(toAccessorError(Object.assign(new Error('aborted'), { name: 'AbortError' }), op)).toBeInstanceOf(
      OperationAbortedError,
    );
  });

  it('marks server trouble and network errors transient, other failures not', () => {
    const transient = (error: unknown) =>
      (toAccessorError(error, op) as AccessorOperationFailedError).transient;
    expect(transient(sdkError('SlowDown', 503))).toBe(true);
    expect(transient(sdkError('InternalError', 500))).toBe(true);
    expect(transient(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(transient(new Error('source broke'))).toBe(false);
    expect(transient(sdkError('InvalidArgument', 400))).toBe(false);
  });

  it('redacts signatures and the configured secret', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const error = toAccessorError(
      sdkError('SignatureDoesNotMatch', 403, {
        message: `bad X-Amz-Signature=abcdef0123&X-Amz-Credential=AKIA/2026 with ${secret}`,
      }),
      op,
      [secret],
    );
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('abcdef0123');
    expect(redact('?X-Amz-Security-Token=tok&x=1')).toBe('?X-Amz-Security-Token=REDACTED&x=1');
  });
});
