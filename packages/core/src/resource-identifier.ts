import { AccessorParentResourceNotFoundError, AccessorResourceIdentifierError } from './errors.js';

/**
 * Resource identifiers are relative POSIX-style paths under an accessor's root:
 * segments separated by '/', no leading '/', no '.', '..' or empty segments, no
 * control characters or backslashes. The root itself is ''. Checking segments
 * (not a string prefix) is what stops `/mnt/proj2` passing for `/mnt/proj`.
 */

// C0 controls and DEL; a NUL byte truncates paths in C APIs.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Split and validate a resource identifier; throws AccessorResourceIdentifierError. */
export function splitResourceIdentifier(resourceIdentifier: string): string[] {
  if (typeof resourceIdentifier !== 'string') {
    throw new AccessorResourceIdentifierError(String(resourceIdentifier), 'not a string');
  }
  if (resourceIdentifier === '') return [];
  if (CONTROL_CHARACTERS.test(resourceIdentifier)) {
    throw new AccessorResourceIdentifierError(resourceIdentifier, 'contains control characters');
  }
  if (resourceIdentifier.includes('\\')) {
    throw new AccessorResourceIdentifierError(resourceIdentifier, 'contains a backslash');
  }
  if (resourceIdentifier.startsWith('/') || /^[A-Za-z]:/.test(resourceIdentifier)) {
    throw new AccessorResourceIdentifierError(resourceIdentifier, 'absolute paths are not allowed');
  }
  // A trailing slash names the same container.
  const trimmed = resourceIdentifier.endsWith('/') ? resourceIdentifier.slice(0, -1) : resourceIdentifier;
  const segments = trimmed.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new AccessorResourceIdentifierError(
        resourceIdentifier,
        `invalid path segment ${JSON.stringify(segment)}`,
      );
    }
  }
  return segments;
}

/** The validated, canonical form of a resource identifier (no trailing slash). */
export function normalizeResourceIdentifier(resourceIdentifier: string): string {
  return splitResourceIdentifier(resourceIdentifier).join('/');
}

/** Join resource identifier parts, dropping empty ones. */
export function joinResourceIdentifier(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

/** The parent container of a resource identifier; the root has none. */
export function parentResourceIdentifier(resourceIdentifier: string): string {
  const segments = splitResourceIdentifier(resourceIdentifier);
  if (segments.length === 0) {
    throw new AccessorParentResourceNotFoundError({
      operation: 'getContainer',
      resourceIdentifier,
      message: 'The root has no container.',
    });
  }
  return segments.slice(0, -1).join('/');
}

/** The last segment of a resource identifier. */
export function baseName(resourceIdentifier: string): string {
  const segments = splitResourceIdentifier(resourceIdentifier);
  return segments[segments.length - 1] ?? '';
}

/** The parent of a relative resource identifier, '' at the top, undefined for the root itself. */
export function parentResourceIdentifierOf(resourceIdentifier: string): string | undefined {
  const segments = splitResourceIdentifier(resourceIdentifier);
  if (segments.length === 0) return undefined;
  return segments.slice(0, -1).join('/');
}
