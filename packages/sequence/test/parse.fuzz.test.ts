import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseFileSeq, parseFrameRange, SequenceError } from '../src/index.js';

// Parsers meet names from disks, registries and users: any input either
// parses or fails with the library's own error, never a crash or a hang.
const pieces = fc.constantFrom(
  '%04d',
  '%d',
  '#',
  '@',
  '[',
  ']',
  '1-5',
  ', ',
  '-',
  'x',
  ':',
  '1',
  '0',
  '999999999',
  'a',
  '.',
  '/',
  ' ',
  '{',
  '}',
);
const structured = fc.array(pieces, { maxLength: 16 }).map((parts) => parts.join(''));
const input = fc.oneof(structured, fc.string({ maxLength: 40 }));

function parsesOrThrowsOwnError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SequenceError);
  }
}

describe('sequence parsers under fuzzing', () => {
  it('parse() returns a collection that formats back to an equal one, or throws a SequenceError', () => {
    fc.assert(
      fc.property(input, (value) => {
        parsesOrThrowsOwnError(() => {
          const collection = parse(value);
          const again = parse(collection.format());
          expect([...again.indexes]).toEqual([...collection.indexes]);
          expect(again.head).toBe(collection.head);
          expect(again.tail).toBe(collection.tail);
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('parseFrameRange() and parseFileSeq() never crash', () => {
    fc.assert(
      fc.property(input, (value) => {
        parsesOrThrowsOwnError(() => parseFrameRange(value));
        parsesOrThrowsOwnError(() => parseFileSeq(value));
      }),
      { numRuns: 3000 },
    );
  });
});
