import {
  AccessorOperationFailedError,
  AccessorParentResourceNotFoundError,
  AccessorPermissionDeniedError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
  OperationAbortedError,
  StowageError,
} from '@stowage/core';

/** SFTP status codes (draft-ietf-secsh-filexfer-02, section 7). */
export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** The SFTP status code of an ssh2 error, if it carries one. */
export function sftpStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * ssh2 connection-level failures: socket errors, timeouts, protocol errors and
 * requests cut off by a closed channel ("No response from server").
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = sftpStatus(error);
  if (status === SFTP_STATUS.NO_CONNECTION || status === SFTP_STATUS.CONNECTION_LOST) return true;
  const level = (error as { level?: unknown }).level;
  if (
    level === 'client-socket' ||
    level === 'client-timeout' ||
    level === 'protocol' ||
    level === 'client-dns'
  ) {
    return true;
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)/.test(code))
    return true;
  return /No response from server|Not connected|Channel not open|Connection lost|(connection|socket|channel) (closed|ended)/i.test(
    error.message,
  );
}

export interface ErrorContext {
  operation: string;
  resourceIdentifier?: string;
  signal?: AbortSignal | undefined;
}

/**
 * Turn an ssh2/SFTP error into the typed Stowage error for the operation.
 * Errors that are already Stowage errors pass through. ssh2 messages hold no
 * credentials (only status text), so they are kept as the reason.
 */
export function toAccessorError(error: unknown, context: ErrorContext): Error {
  if (context.signal?.aborted) {
    return error instanceof OperationAbortedError
      ? error
      : new OperationAbortedError(undefined, { cause: error });
  }
  if (error instanceof StowageError) return error;
  const options = {
    operation: context.operation,
    resourceIdentifier: context.resourceIdentifier,
    error,
  };
  switch (sftpStatus(error)) {
    case SFTP_STATUS.NO_SUCH_FILE:
      return new AccessorResourceNotFoundError(options);
    case SFTP_STATUS.PERMISSION_DENIED:
      return new AccessorPermissionDeniedError(options);
    case SFTP_STATUS.OP_UNSUPPORTED:
      return new AccessorUnsupportedOperationError(options);
  }
  if ((error as { level?: unknown } | null)?.level === 'client-authentication') {
    return new AccessorPermissionDeniedError({ ...options, message: 'SFTP authentication failed.' });
  }
  return new AccessorOperationFailedError({ ...options, transient: isConnectionError(error) });
}

/** Missing parent for writes and non-recursive makeContainer. */
export function parentNotFound(context: ErrorContext, error?: unknown): AccessorParentResourceNotFoundError {
  return new AccessorParentResourceNotFoundError({
    operation: context.operation,
    resourceIdentifier: context.resourceIdentifier,
    error,
  });
}
