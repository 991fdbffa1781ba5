/**
 * The ftrack error hierarchy, in TypeScript. Every error carries `details`
 * (structured context, never secrets), an optional `cause`, and `transient`:
 * whether retrying the same operation may succeed.
 */

export interface StowageErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
  transient?: boolean;
}

/** Base of every Stowage error (ftrack's `ftrack_api.exception.Error`). */
export class StowageError extends Error {
  readonly details: Record<string, unknown>;
  readonly transient: boolean;

  constructor(message?: string, options: StowageErrorOptions = {}) {
    super(
      message ?? 'Unspecified error.',
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.details = options.details ?? {};
    this.transient = options.transient ?? false;
  }
}

/** Raise when permission is denied. */
export class PermissionDeniedError extends StowageError {}

/** Raise when a parsing error occurs. */
export class ParseError extends StowageError {}

/** Raise when an operation was aborted through its AbortSignal. */
export class OperationAbortedError extends StowageError {
  constructor(message = 'Operation aborted.', options: StowageErrorOptions = {}) {
    super(message, options);
  }
}

/** Base for errors associated with locations. */
export class LocationError extends StowageError {}

/** Raise when component not available in any location. */
export class ComponentNotInAnyLocationError extends LocationError {}

function describeComponents(components: ReadonlyArray<{ id: string }>): string {
  return components.map((component) => component.id).join(', ');
}

/** Raise when component(s) not in location. */
export class ComponentNotInLocationError extends LocationError {
  readonly componentIds: string[];
  readonly locationName: string;
  constructor(
    components: ReadonlyArray<{ id: string }>,
    location: { name: string },
    options: StowageErrorOptions = {},
  ) {
    super(`Component(s) ${describeComponents(components)} not found in location "${location.name}".`, {
      ...options,
      details: { components: components.map((c) => c.id), location: location.name, ...options.details },
    });
    this.componentIds = components.map((c) => c.id);
    this.locationName = location.name;
  }
}

/** Raise when component(s) already exists in location. */
export class ComponentInLocationError extends LocationError {
  readonly componentIds: string[];
  readonly locationName: string;
  constructor(
    components: ReadonlyArray<{ id: string }>,
    location: { name: string },
    options: StowageErrorOptions = {},
  ) {
    super(`Component(s) ${describeComponents(components)} already exist in location "${location.name}".`, {
      ...options,
      details: { components: components.map((c) => c.id), location: location.name, ...options.details },
    });
    this.componentIds = components.map((c) => c.id);
    this.locationName = location.name;
  }
}

/** Base for errors associated with structures. */
export class StructureError extends StowageError {}

/** Base for errors associated with accessors. */
export class AccessorError extends StowageError {}

export interface AccessorOperationErrorOptions extends StowageErrorOptions {
  operation?: string;
  resourceIdentifier?: string;
  /** The underlying error; kept as `cause`. */
  error?: unknown;
  message?: string;
}

/**
 * Base for failed operations on accessors. The message names the operation and
 * the resource identifier, as ftrack's does.
 */
export class AccessorOperationFailedError extends AccessorError {
  readonly operation: string;
  readonly resourceIdentifier: string | undefined;

  constructor(options: AccessorOperationErrorOptions = {}) {
    const operation = options.operation ?? '';
    const ri = options.resourceIdentifier;
    const reason = options.error instanceof Error ? options.error.message : undefined;
    const message =
      options.message ??
      `${new.target.defaultMessage}${operation ? ` (operation: ${operation}` : ''}${
        ri !== undefined ? `${operation ? ', ' : ' ('}resource: ${JSON.stringify(ri)}` : ''
      }${operation || ri !== undefined ? ')' : ''}${reason ? `: ${reason}` : ''}`;
    super(message, {
      details: { operation, resourceIdentifier: ri, ...options.details },
      cause: options.cause ?? options.error,
      transient: options.transient,
    });
    this.operation = operation;
    this.resourceIdentifier = ri;
  }

  static defaultMessage = 'Operation failed';
}

/** Raise when operation is unsupported. */
export class AccessorUnsupportedOperationError extends AccessorOperationFailedError {
  static override defaultMessage = 'Operation not supported';
}

/** Raise when permission denied. */
export class AccessorPermissionDeniedError extends AccessorOperationFailedError {
  static override defaultMessage = 'Permission denied';
}

/** Raise when a error related to a resource_identifier occurs (bad syntax, escapes the root). */
export class AccessorResourceIdentifierError extends AccessorError {
  readonly resourceIdentifier: string;
  constructor(resourceIdentifier: string, reason?: string, options: StowageErrorOptions = {}) {
    super(
      `Unsupported resource identifier ${JSON.stringify(resourceIdentifier)}${reason ? `: ${reason}` : '.'}`,
      {
        ...options,
        details: { resourceIdentifier, reason, ...options.details },
      },
    );
    this.resourceIdentifier = resourceIdentifier;
  }
}

/** Raise when a error related to an accessor filesystem path occurs. */
export class AccessorFilesystemPathError extends AccessorError {
  readonly resourceIdentifier: string;
  constructor(resourceIdentifier: string, options: StowageErrorOptions = {}) {
    super(
      `Could not determine filesystem path from resource identifier ${JSON.stringify(resourceIdentifier)}.`,
      {
        ...options,
        details: { resourceIdentifier, ...options.details },
      },
    );
    this.resourceIdentifier = resourceIdentifier;
  }
}

/** Base for errors associated with specific resource. */
export class AccessorResourceError extends AccessorOperationFailedError {
  static override defaultMessage = 'Resource error';
}

/** Raise when a required resource is not found. */
export class AccessorResourceNotFoundError extends AccessorResourceError {
  static override defaultMessage = 'Resource not found';
}

/** Raise when a parent resource (such as directory) is not found. */
export class AccessorParentResourceNotFoundError extends AccessorResourceError {
  static override defaultMessage = 'Parent resource is missing';
}

/** Raise when a resource is not the right type. */
export class AccessorResourceInvalidError extends AccessorResourceError {
  static override defaultMessage = 'Resource is not the right type';
}

/** Raise when container is not empty. */
export class AccessorContainerNotEmptyError extends AccessorResourceError {
  static override defaultMessage = 'Container is not empty';
}

/**
 * Raise when a resource exists where a new one was to be created without
 * overwriting (Stowage addition: ftrack checks then writes; we create atomically).
 */
export class AccessorResourceExistsError extends AccessorResourceError {
  static override defaultMessage = 'Resource already exists';
}

/**
 * Mark an "exists" error raised at publication although the target was absent
 * when the write began: the resource may be this write's own, published by a
 * request whose reply was lost and that the client library then retried. The
 * transfer engine adopts such a target when its bytes equal the source's.
 */
export function markAppearedDuringWrite<T>(error: T): T {
  if (error instanceof AccessorResourceExistsError) error.details.appearedDuringWrite = true;
  return error;
}

/** Whether an error is an "exists" error marked by `markAppearedDuringWrite`. */
export function appearedDuringWrite(error: unknown): boolean {
  return error instanceof AccessorResourceExistsError && error.details.appearedDuringWrite === true;
}

/**
 * Raise when written or read bytes do not match the expected size or checksum
 * (Stowage addition).
 */
export class AccessorIntegrityError extends AccessorOperationFailedError {
  static override defaultMessage = 'Integrity check failed';
}

/** True when retrying the operation that threw `error` may succeed. */
export function isTransientError(error: unknown): boolean {
  return error instanceof StowageError && error.transient;
}
