/** What a `Range` header asks of a resource of `size` bytes. */
export type RangeRequest =
  | { type: 'full' }
  | { type: 'partial'; start: number; end: number }
  | { type: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/;

/**
 * One byte range (RFC 9110 14.1.2): `a-b`, `a-` or `-suffix`. Anything else,
 * including several ranges, is ignored and the whole resource is served, as
 * the RFC allows.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { type: 'full' };
  const match = SINGLE_RANGE.exec(header);
  if (!match) return { type: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { type: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { type: 'unsatisfiable' };
    return { type: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isFinite(end)) return { type: 'full' };
  if (last !== '' && end < start) return { type: 'full' };
  if (start >= size) return { type: 'unsatisfiable' };
  return { type: 'partial', start, end: Math.min(end, size - 1) };
}
