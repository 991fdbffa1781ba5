import {
  AccessorContainerNotEmptyError,
  AccessorOperationFailedError,
  AccessorParentResourceNotFoundError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  StowageError,
} from '@stowage/core';

const TRANSIENT = new Set(['EIO', 'EAGAIN', 'EMFILE', 'ENFILE', 'EBUSY', 'ETIMEDOUT', 'EINTR']);

/** An OS error as the typed error ftrack names (the path never leaks the prefix: only the identifier). */
export function mapFsError(
  error: unknown,
  operation: string,
  resourceIdentifier: string,
  parentMissing = false,
): Error {
  if (error instanceof StowageError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const options = { operation, resourceIdentifier, error };
  switch (code) {
    case 'ENOENT':
      return parentMissing
        ? new AccessorParentResourceNotFoundError(options)
        : new AccessorResourceNotFoundError(options);
    case 'ENOTEMPTY':
      return new AccessorContainerNotEmptyError(options);
    case 'EEXIST':
      return operation === 'removeContainer'
        ? new AccessorContainerNotEmptyError(options)
        : new AccessorResourceExistsError(options);
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new AccessorPermissionDeniedError(options);
    case 'ENOTDIR':
    case 'EISDIR':
      return new AccessorResourceInvalidError(options);
    default:
      return new AccessorOperationFailedError({
        ...options,
        transient: code !== undefined && TRANSIENT.has(code),
      });
  }
}
