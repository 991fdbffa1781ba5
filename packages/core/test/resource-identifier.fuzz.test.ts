import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AccessorResourceIdentifierError,
  normalizeResourceIdentifier,
  splitResourceIdentifier,
} from '../src/index.js';

// Strings made of what path attacks are made of: separators, dots, drive
// colons, backslashes, control characters, unicode look-alikes and letters.
const pieces = fc.constantFrom(
  '/',
  '//',
  '.',
  '..',
  '...',
  '\\',
  ':',
  'C:',
  'a',
  'b',
  'etc',
  'passwd',
  ' ',
  '\u0000',
  '\n',
  '\u007f',
  '\u2215',
  '\uff0e',
  '%2e',
  '%2f',
  '~',
  'é',
  '😀',
);
const hostile = fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join(''));
const anyString = fc.oneof(hostile, fc.string({ unit: 'binary', maxLength: 40 }));

describe('resource identifiers under fuzzing', () => {
  it('are rejected with AccessorResourceIdentifierError or resolve inside the root', () => {
    fc.assert(
      fc.property(anyString, (identifier) => {
        let segments: string[];
        try {
          segments = splitResourceIdentifier(identifier);
        } catch (error) {
          expect(error).toBeInstanceOf(AccessorResourceIdentifierError);
          return;
        }
        const root = '/srv/root';
        const resolved = posix.resolve(root, ...segments);
        expect(resolved === root || resolved.startsWith(`${root}/`)).toBe(true);
        for (const segment of segments) {
          expect(['', '.', '..']).not.toContain(segment);
          expect(segment).not.toMatch(/[\\/\u0000-\u001f\u007f]/);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('normalise idempotently', () => {
    fc.assert(
      fc.property(anyString, (identifier) => {
        let normal: string;
        try {
          normal = normalizeResourceIdentifier(identifier);
        } catch {
          return;
        }
        expect(normalizeResourceIdentifier(normal)).toBe(normal);
      }),
      { numRuns: 5000 },
    );
  });
});
