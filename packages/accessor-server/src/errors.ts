import {
  AccessorContainerNotEmptyError,
  AccessorError,
  AccessorIntegrityError,
  AccessorOperationFailedError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
  OperationAbortedError,
  StowageError,
} from '@stowage/core';

/** What the file server answers on errors: `{error: {code, message}}`. */
export interface ServerErrorBody {
  code?: string;
  message?: string;
}

/** HTTP statuses worth another attempt: timeouts, throttling, server and gateway failures. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Network error codes worth another attempt. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A Stowage error for an HTTP answer. The message names the operation, the
 * resource identifier, the status and the server's own explanation, never a
 * URL: signed URLs are credentials until they expire, and the API key only
 * ever travels in headers.
 */
export function errorFromResponse(
  status: number,
  body: ServerErrorBody,
  operation: string,
  resourceIdentifier: string,
): StowageError {
  const code = body.code ?? `HTTP${status}`;
  const explanation = body.message ? `: ${body.message}` : '';
  const message = `Server ${operation} of ${JSON.stringify(resourceIdentifier)} failed with ${status} ${code}${explanation}`;
  const options = { operation, resourceIdentifier, message, details: { status, code } };
  if (status === 404) return new AccessorResourceNotFoundError(options);
  if (status === 409 && code === 'Exists') return new AccessorResourceExistsError(options);
  if (status === 409 && code === 'ContainerNotEmpty') return new AccessorContainerNotEmptyError(options);
  if (status === 409 && code === 'WrongType') return new AccessorResourceInvalidError(options);
  if (status === 400 && ['SizeMismatch', 'BadDigest', 'IntegrityMismatch'].includes(code))
    return new AccessorIntegrityError(options);
  if (status === 400 && code === 'InvalidId')
    return new AccessorResourceIdentifierError(resourceIdentifier, body.message, {
      details: { status, code, operation },
    });
  if (status === 401 || status === 403) return new AccessorPermissionDeniedError(options);
  if (status === 501) return new AccessorUnsupportedOperationError(options);
  return new AccessorOperationFailedError({ ...options, transient: isTransientStatus(status) });
}

/** A Stowage error for a failed request (no answer at all). */
export function errorFromNetwork(
  error: unknown,
  operation: string,
  resourceIdentifier: string,
  signal?: AbortSignal,
): StowageError {
  if (error instanceof StowageError) return error;
  if (signal?.aborted || (error as Error)?.name === 'AbortError')
    return new OperationAbortedError(
      `Server ${operation} of ${JSON.stringify(resourceIdentifier)} was aborted.`,
      {
        cause: error,
      },
    );
  const code = errorCode(error);
  return new AccessorOperationFailedError({
    operation,
    resourceIdentifier,
    message: `Server ${operation} of ${JSON.stringify(resourceIdentifier)} failed: ${code ?? 'network error'}`,
    details: { code },
    // Keep the cause for debugging; undici's messages carry no credentials.
    cause: error,
    transient: code !== undefined && TRANSIENT_CODES.has(code),
  });
}

/** True for errors raised by this package that a caller may see as the server's answer. */
export function isServerAnswer(error: unknown): boolean {
  return error instanceof AccessorError && (error as AccessorError).details.status !== undefined;
}
