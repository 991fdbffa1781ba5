import {
  AccessorContainerNotEmptyError,
  AccessorIntegrityError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
  isTransientError,
} from '@stowage/core';

/** An error answered with `statusCode` and a JSON body `{error: {code, message}}`. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;

  constructor(statusCode: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

/**
 * The HTTP answer for an accessor error. Messages are ours: accessor messages
 * can name storage paths, which clients have no business seeing.
 */
export function httpErrorFromAccessor(error: unknown, id: string): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof AccessorResourceNotFoundError)
    return new HttpError(404, 'NotFound', `Component ${id} not found.`, { cause: error });
  if (error instanceof AccessorResourceExistsError)
    return new HttpError(409, 'Exists', `Component ${id} already exists.`, { cause: error });
  if (error instanceof AccessorIntegrityError)
    return new HttpError(400, 'IntegrityMismatch', 'The uploaded bytes do not match.', { cause: error });
  if (error instanceof AccessorContainerNotEmptyError)
    return new HttpError(409, 'ContainerNotEmpty', `${id} is not empty.`, { cause: error });
  if (error instanceof AccessorResourceInvalidError)
    // A file where a folder is needed, or the other way round.
    return new HttpError(409, 'WrongType', `${id} is not the right type of resource.`, { cause: error });
  if (error instanceof AccessorResourceIdentifierError)
    return new HttpError(400, 'InvalidId', `Component ${id} cannot be stored.`, { cause: error });
  if (error instanceof AccessorPermissionDeniedError)
    return new HttpError(500, 'StorageDenied', 'The storage refused the operation.', { cause: error });
  if (error instanceof AccessorUnsupportedOperationError)
    return new HttpError(501, 'Unsupported', 'The storage does not support this operation.', {
      cause: error,
    });
  if (isTransientError(error))
    return new HttpError(503, 'StorageUnavailable', 'The storage is unavailable; retry later.', {
      cause: error,
    });
  return new HttpError(500, 'InternalError', 'Internal server error.', { cause: error });
}
