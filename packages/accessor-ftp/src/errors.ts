import {
  AccessorOperationFailedError,
  AccessorPermissionDeniedError,
  AccessorResourceNotFoundError,
  OperationAbortedError,
  StowageError,
} from '@stowage/core';
import { FTPError } from 'basic-ftp';

/** Node socket errors after which the same request may well succeed on a new connection. */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** basic-ftp reports a dropped or timed-out connection with plain Errors. */
// TLS alerts and handshake failures on a data connection are connection
// failures too: a new connection (new handshake) usually succeeds.
const TRANSIENT_MESSAGE =
  /timeout|closed|FIN packet|socket hang up|ECONNRESET|EPIPE|data connection|data socket|SSL routines|handshake/i;

/** The FTP reply code of a server error, if `error` is one. */
export function ftpCode(error: unknown): number | undefined {
  return error instanceof FTPError ? error.code : undefined;
}

/** A 5xx reply that says "no such file" or "not the right type" (RFC 959 uses 550 for both). */
export function isUnavailable(error: unknown): boolean {
  const code = ftpCode(error);
  return code === 550 || code === 450;
}

/** The server does not know the command (500/502) or its argument form (501/504). */
export function isUnsupportedCommand(error: unknown): boolean {
  const code = ftpCode(error);
  return code === 500 || code === 501 || code === 502 || code === 504;
}

/** The control connection is unusable: retry on a fresh one. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof FTPError) return error.code === 421;
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    (typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code)) || TRANSIENT_MESSAGE.test(error.message)
  );
}

export interface ErrorContext {
  operation: string;
  resourceIdentifier?: string;
}

/**
 * Map an FTP reply or socket error onto the Stowage hierarchy. 4xx replies are
 * transient by definition (RFC 959 "transient negative completion"); 550 is
 * mapped to not-found here, callers that can tell "missing" from "wrong type"
 * refine it with a stat first.
 */
export function mapFtpError(error: unknown, context: ErrorContext): StowageError {
  if (error instanceof StowageError) return error;
  const options = { operation: context.operation, resourceIdentifier: context.resourceIdentifier, error };
  const code = ftpCode(error);
  if (code !== undefined) {
    const details = { ftpCode: code };
    if (code === 530 || code === 532 || code === 553)
      return new AccessorPermissionDeniedError({ ...options, details });
    if (code === 550) return new AccessorResourceNotFoundError({ ...options, details });
    return new AccessorOperationFailedError({ ...options, details, transient: code >= 400 && code < 500 });
  }
  if (error instanceof Error && error.name === 'AbortError')
    return new OperationAbortedError(undefined, { cause: error });
  return new AccessorOperationFailedError({ ...options, transient: isConnectionError(error) });
}
