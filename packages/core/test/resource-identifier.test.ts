import { describe, expect, it } from 'vitest';
import {
  AccessorParentResourceNotFoundError,
  AccessorResourceIdentifierError,
  baseName,
  joinResourceIdentifier,
  normalizeResourceIdentifier,
  parentResourceIdentifier,
  sequencePattern,
  splitResourceIdentifier,
} from '../src/index.js';

describe('resource identifiers', () => {
  it('splits valid identifiers into segments', () => {
    expect(splitResourceIdentifier('')).toEqual([]);
    expect(splitResourceIdentifier('a')).toEqual(['a']);
    expect(splitResourceIdentifier('a/b c/é#%.exr')).toEqual(['a', 'b c', 'é#%.exr']);
    expect(normalizeResourceIdentifier('a/b/')).toBe('a/b');
  });

  it.each([
    ['..', /segment/],
    ['a/../../x', /segment/],
    ['a/./b', /segment/],
    ['a//b', /segment/],
    ['/etc/passwd', /absolute/],
    ['C:/x', /absolute/],
    ['a\\..\\b', /backslash/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    ['a\u007fb', /control/],
  ])('rejects %j', (value, reason) => {
    expect(() => splitResourceIdentifier(value)).toThrow(AccessorResourceIdentifierError);
    expect(() => splitResourceIdentifier(value)).toThrow(reason);
  });

  it('finds parents and base names; the root has no parent', () => {
    expect(parentResourceIdentifier('a/b/c.txt')).toBe('a/b');
    expect(parentResourceIdentifier('c.txt')).toBe('');
    expect(() => parentResourceIdentifier('')).toThrow(AccessorParentResourceNotFoundError);
    expect(baseName('a/b/c.txt')).toBe('c.txt');
    expect(joinResourceIdentifier('', 'a', '', 'b')).toBe('a/b');
  });

  it('builds frame matchers for padded and unpadded sequence identifiers', () => {
    const padded = sequencePattern('shots/plate.%04d.exr')!;
    expect(padded.container).toBe('shots');
    expect(padded.matcher.test('plate.0001.exr')).toBe(true);
    expect(padded.matcher.test('plate.12345.exr')).toBe(true);
    expect(padded.matcher.test('plate.1.exr')).toBe(false);
    expect(padded.matcher.test('plate.0001.exr.tmp')).toBe(false);
    const unpadded = sequencePattern('plate.%d.exr')!;
    expect(unpadded.container).toBe('');
    expect(unpadded.matcher.test('plate.7.exr')).toBe(true);
    expect(sequencePattern('plate.exr')).toBeNull();
  });
});
