import {
  AccessorIntegrityError,
  AccessorOperationFailedError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
  OperationAbortedError,
} from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { redact, toAccessorError } from '../src/index.js';

/** The shape of the SDK's RestError, as the mapping reads it. */
function restError(statusCode: number | undefined, code: string, message = 'failed') {
  return Object.assign(new Error(`${message}\nRequestId:123\nTime:now`), {
    name: 'RestError',
    statusCode,
    code,
    details: { errorCode: code },
    request: {
      url: 'http://x/c/b?sv=1&sig=SECRETSIG',
      headers: { authorization: 'SharedKey acct:SECRETSIG' },
    },
  });
}

const op = { operation: 'write', resourceIdentifier: 'a/b.bin' };

describe('toAccessorError', () => {
  it.each([
    [404, 'BlobNotFound', AccessorResourceNotFoundError],
    [404, 'ContainerNotFound', AccessorResourceNotFoundError],
    [409, 'BlobAlreadyExists', AccessorResourceExistsError],
    [412, 'ConditionNotMet', AccessorResourceExistsError],
    [403, 'AuthorizationFailure', AccessorPermissionDeniedError],
    [501, 'APINotImplemented', AccessorUnsupportedOperationError],
    [400, 'Md5Mismatch', AccessorIntegrityError],
    [500, 'InternalError', AccessorOperationFailedError],
  ] as const)('HTTP %i %s -> %o', (status, code, type) => {
    expect(toAccessorError(restError(status, code), op)).toBeInstanceOf(type);
  });

  it("maps Azurite's MD5 answer to AccessorIntegrityError", () => {
    const error = toAccessorError(
      restError(400, 'InvalidOperation', "Provided contentMD5 doesn't match."),
      op,
    );
    expect(error).toBeInstanceOf(AccessorIntegrityError);
  });

  it('marks server and network failures transient, client errors not', () => {
    expect(
      (toAccessorError(restError(503, 'ServerBusy'), op) as AccessorOperationFailedError).transient,
    ).toBe(true);
    expect(
      (toAccessorError(restError(undefined, 'ECONNRESET'), op) as AccessorOperationFailedError).transient,
    ).toBe(true);
    expect(
      (toAccessorError(restError(400, 'InvalidHeaderValue'), op) as AccessorOperationFailedError).transient,
    ).toBe(false);
  });

  it('keeps no request, signature or key in the error', () => {
    const error = toAccessorError(restError(500, 'InternalError', 'boom sig=SECRETSIG'), op);
    const cause = error.cause as Error & { request?: unknown };
    expect(cause.request).toBeUndefined();
    expect(`${error.message} ${cause.message} ${JSON.stringify(error)}`).not.toContain('SECRETSIG');
    expect(error.message).toContain('a/b.bin');
    expect(error.message).not.toContain('RequestId');
  });

  it('an aborted signal wins', () => {
    const controller = new AbortController();
    controller.abort();
    expect(toAccessorError(restError(500, 'x'), { ...op, signal: controller.signal })).toBeInstanceOf(
      OperationAbortedError,
    );
  });
});

describe('redact', () => {
  it('removes SAS signatures, account keys and Authorization values', () => {
    const text = redact(
      'GET http://h/c/b?sv=2026&sig=abc%2Fdef&se=x AccountKey=KEY==; Authorization: SharedKey acct:SIG Bearer TOKEN',
    );
    for (const secret of ['abc%2Fdef', 'KEY==', 'acct:SIG', 'TOKEN']) expect(text).not.toContain(secret);
  });
});
