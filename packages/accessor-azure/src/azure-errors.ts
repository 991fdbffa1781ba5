import {
  AccessorIntegrityError,
  AccessorOperationFailedError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
  OperationAbortedError,
  StowageError,
} from '@stowage/core';

export interface ErrorContext {
  operation: string;
  resourceIdentifier?: string;
  signal?: AbortSignal | undefined;
}

/** HTTP status and Azure error code of an SDK error (RestError), if any. */
export function restError(error: unknown): { status?: number; code?: string } {
  if (error === null || typeof error !== 'object') return {};
  const { statusCode, code, details } = error as {
    statusCode?: unknown;
    code?: unknown;
    details?: { errorCode?: unknown };
  };
  const azureCode = typeof details?.errorCode === 'string' ? details.errorCode : undefined;
  return {
    ...(typeof statusCode === 'number' ? { status: statusCode } : {}),
    ...(azureCode ? { code: azureCode } : typeof code === 'string' ? { code } : {}),
  };
}

const NETWORK_CODES =
  /^(ECONN|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|REQUEST_SEND_ERROR|UND_ERR)/;

/** Remove anything credential-like from a message: SAS signatures, account keys, Authorization values. */
export function redact(text: string): string {
  return text
    .replace(/(\bsig=)[^&\s"']*/gi, '$1REDACTED')
    .replace(/(AccountKey=)[^;\s"']*/gi, '$1REDACTED')
    .replace(/(SharedAccessSignature=)[^;\s"']*/gi, '$1REDACTED')
    .replace(/(SharedKey(Lite)?\s+[^:\s]+:)[^\s"']*/gi, '$1REDACTED')
    .replace(/(Bearer\s+)[^\s"']*/gi, '$1REDACTED');
}

/**
 * A plain Error standing in for an SDK error as `cause`: the RestError itself
 * carries the request (headers, SAS URLs), which must not reach logs.
 */
export function sanitizedCause(error: unknown): Error {
  const { status, code } = restError(error);
  const raw = error instanceof Error ? error.message : String(error);
  // Azure appends "RequestId:...\nTime:..." lines; keep the first line.
  const firstLine = redact(raw.split('\n')[0]?.trim() ?? '');
  const label = [code, status !== undefined ? `HTTP ${status}` : undefined].filter(Boolean).join(', ');
  const cause = new Error(
    label ? `${firstLine || 'request failed'} (${label})` : firstLine || 'request failed',
  );
  cause.name = error instanceof Error ? error.name : 'Error';
  Object.assign(cause, {
    ...(status !== undefined ? { statusCode: status } : {}),
    ...(code ? { code } : {}),
  });
  return cause;
}

export function isAbortError(error: unknown): boolean {
  return (
    error instanceof OperationAbortedError ||
    (error instanceof Error &&
      (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR'))
  );
}

/** Whether retrying the request that failed may succeed. */
export function isTransient(error: unknown): boolean {
  const { status, code } = restError(error);
  if (status !== undefined && (status >= 500 || status === 408 || status === 429)) return status !== 501;
  if (code && NETWORK_CODES.test(code)) return true;
  if (code === 'InvalidBlockList' || code === 'Md5Mismatch') return true;
  return false;
}

/**
 * Turn an SDK error into the typed Stowage error for the operation. Errors
 * that are already Stowage errors pass through; the message and cause hold no
 * credentials (see `sanitizedCause`).
 */
export function toAccessorError(error: unknown, context: ErrorContext): Error {
  if (context.signal?.aborted || isAbortError(error)) {
    return error instanceof OperationAbortedError
      ? error
      : new OperationAbortedError(undefined, { cause: sanitizedCause(error) });
  }
  if (error instanceof StowageError) return error;
  const { status, code } = restError(error);
  const options = {
    operation: context.operation,
    resourceIdentifier: context.resourceIdentifier,
    error: sanitizedCause(error),
    details: { ...(status !== undefined ? { status } : {}), ...(code ? { code } : {}) },
  };
  if (code === 'BlobAlreadyExists' || (status === 412 && code === 'ConditionNotMet')) {
    return new AccessorResourceExistsError(options);
  }
  if (status === 404) return new AccessorResourceNotFoundError(options);
  if (status === 403 || status === 401) return new AccessorPermissionDeniedError(options);
  if (status === 501 || code === 'APINotImplemented') return new AccessorUnsupportedOperationError(options);
  // Azure answers Md5Mismatch; Azurite InvalidOperation "Provided contentMD5 doesn't match."
  const message = error instanceof Error ? error.message : '';
  if (code === 'Md5Mismatch' || code === 'Crc64Mismatch' || /content-?md5 doesn't match/i.test(message))
    return new AccessorIntegrityError({ ...options, transient: true });
  return new AccessorOperationFailedError({ ...options, transient: isTransient(error) });
}
