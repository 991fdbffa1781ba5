import {
  AccessorOperationFailedError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
  markAppearedDuringWrite,
  OperationAbortedError,
  StowageError,
} from '@stowage/core';

export interface ErrorContext {
  operation: string;
  resourceIdentifier?: string | undefined;
  signal?: AbortSignal | undefined;
}

interface S3ErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The S3 error code (`NoSuchKey`, `AccessDenied`, ...) of an SDK error, if any. */
export function s3ErrorCode(error: unknown): string | undefined {
  const shape = error as S3ErrorShape | null;
  if (!shape || typeof shape !== 'object') return undefined;
  return shape.Code ?? shape.name ?? (typeof shape.code === 'string' ? shape.code : undefined);
}

/** HTTP status of an SDK error, if the server answered. */
export function s3HttpStatus(error: unknown): number | undefined {
  return (error as S3ErrorShape | null)?.$metadata?.httpStatusCode;
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchUpload']);
const DENIED = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'AllAccessDisabled',
]);
const EXISTS = new Set(['PreconditionFailed', 'ConditionalRequestConflict']);
const UNSUPPORTED = new Set(['NotImplemented', 'MethodNotAllowed']);
const TRANSIENT = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

export function isNotFound(error: unknown): boolean {
  return NOT_FOUND.has(s3ErrorCode(error) ?? '') || s3HttpStatus(error) === 404;
}

export function isPreconditionFailed(error: unknown): boolean {
  const status = s3HttpStatus(error);
  return EXISTS.has(s3ErrorCode(error) ?? '') || status === 412;
}

export function isAbortError(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'AbortError';
}

/** Signed query strings and credentials never go into messages. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/(X-Amz-(Signature|Credential|Security-Token)=)[^&\s"']+/gi, '$1REDACTED');
  for (const secret of secrets) if (secret) out = out.split(secret).join('REDACTED');
  return out;
}

/**
 * Turn an AWS SDK error into the typed Stowage error for the operation.
 * Stowage errors pass through. Messages are redacted of signatures and of the
 * configured secret key; the SDK error stays as `cause` with the same
 * redaction applied to its message.
 */
export function toAccessorError(
  error: unknown,
  context: ErrorContext,
  secrets: readonly string[] = [],
): Error {
  if (context.signal?.aborted || isAbortError(error)) {
    return error instanceof OperationAbortedError
      ? error
      : new OperationAbortedError(undefined, { cause: error });
  }
  if (error instanceof StowageError) return error;
  if (error instanceof Error) error.message = redact(error.message, secrets);
  const code = s3ErrorCode(error) ?? '';
  const status = s3HttpStatus(error);
  const options = {
    operation: context.operation,
    resourceIdentifier: context.resourceIdentifier,
    error,
    details: { code, status },
  };
  if (isNotFound(error)) return new AccessorResourceNotFoundError(options);
  if (DENIED.has(code) || status === 403) return new AccessorPermissionDeniedError(options);
  if (isPreconditionFailed(error)) {
    const exists = new AccessorResourceExistsError(options);
    // The SDK retried the conditional request: its first try may have published the object.
    const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
    return attempts > 1 ? markAppearedDuringWrite(exists) : exists;
  }
  if (UNSUPPORTED.has(code) || status === 501) return new AccessorUnsupportedOperationError(options);
  const shape = error as S3ErrorShape | null;
  // Server trouble, throttling and network errors may pass on a retry; a
  // failing source stream or a client-side bug will not.
  const networkCode = typeof shape?.code === 'string' ? shape.code : '';
  const transient =
    TRANSIENT.has(code) ||
    TRANSIENT.has(networkCode) ||
    (status !== undefined && status >= 500) ||
    Boolean(shape?.$retryable);
  return new AccessorOperationFailedError({ ...options, transient });
}
