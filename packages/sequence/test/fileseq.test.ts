import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Collection,
  formatFileSeq,
  formatFrameRange,
  ParseError,
  parse,
  parseFileSeq,
  parseFrameRange,
} from '../src/index.js';

describe('fileseq-style syntax', () => {
  it.each([
    ['/shots/a.1-100#.exr', '/shots/a.', '.exr', 4, 100],
    ['/shots/a.1-10x2@@@.exr', '/shots/a.', '.exr', 3, 5],
    ['/shots/a.1-3##.exr', '/shots/a.', '.exr', 8, 3],
    ['/shots/a.%04d.exr 1-10x2', '/shots/a.', '.exr', 4, 5],
    ['/shots/a.$F4.exr', '/shots/a.', '.exr', 4, 0],
    ['/shots/a.$F.exr', '/shots/a.', '.exr', 0, 0],
    ['/shots/a.-5-5#.exr', '/shots/a.', '.exr', 4, 11],
    ['render.1,3,5-7@.png', 'render.', '.png', 1, 5],
  ])('parses %s', (value, head, tail, padding, count) => {
    const collection = parse(value);
    expect(collection.head).toBe(head);
    expect(collection.tail).toBe(tail);
    expect(collection.padding).toBe(padding);
    expect(collection.size).toBe(count);
  });

  it('gives the frames of a stepped range', () => {
    expect(parse('/shots/a.1-10x2@@@.exr').indexes).toEqual([1, 3, 5, 7, 9]);
    expect([...parse('/shots/a.1-3#.exr')]).toEqual([
      '/shots/a.0001.exr',
      '/shots/a.0002.exr',
      '/shots/a.0003.exr',
    ]);
  });

  it('returns null for non-sequences', () => {
    expect(parseFileSeq('/shots/a.exr')).toBeNull();
    expect(parseFileSeq('/shots/a.1-3#.exr 4-5')).toBeNull();
  });

  it('formats compact frame ranges with steps', () => {
    expect(formatFrameRange([1, 3, 5, 7, 9, 15])).toBe('1-9x2,15');
    expect(formatFrameRange([1, 2, 3, 4])).toBe('1-4');
    expect(formatFrameRange([1, 2])).toBe('1-2'); // as fileseq.framesToFrameRange
    expect(formatFrameRange([1, 3])).toBe('1,3');
    expect(formatFrameRange([-3, -2, -1, 2])).toBe('-3--1,2');
    expect(formatFrameRange([])).toBe('');
    expect(parseFrameRange('1-10x2,15,-3--1')).toEqual([-3, -2, -1, 1, 3, 5, 7, 9, 15]);
    expect(() => parseFrameRange('1-x')).toThrow(ParseError);
    // fileseq accepts descending ranges; a Collection keeps indexes sorted.
    expect(parseFrameRange('5-1')).toEqual([1, 2, 3, 4, 5]);
  });

  it('formats fileseq strings', () => {
    expect(formatFileSeq(new Collection('a.', '.exr', 4, [1, 2, 3]))).toBe('a.1-3#.exr');
    expect(formatFileSeq(new Collection('a.', '.exr', 3, [1, 3, 5]))).toBe('a.1-5x2@@@.exr');
    expect(formatFileSeq(new Collection('a.', '.exr', 0, [7]))).toBe('a.7%d.exr');
  });
});

const headArb = fc.stringMatching(/^[a-z_/]{0,8}\.?$/);
const tailArb = fc.stringMatching(/^(\.[a-z]{1,4})?$/);
const collectionArb = fc.record({
  head: headArb,
  tail: tailArb,
  padding: fc.integer({ min: 0, max: 6 }),
  indexes: fc.uniqueArray(fc.integer({ min: -50, max: 2000 }), { maxLength: 40 }),
});

describe('round trips (property)', () => {
  it('parse(format(c)) equals c, and format(parse(x)) equals x', () => {
    fc.assert(
      fc.property(collectionArb, ({ head, tail, padding, indexes }) => {
        const collection = new Collection(head, tail, padding, indexes);
        const text = collection.format();
        const parsed = parse(text);
        expect(parsed.toJSON()).toEqual(collection.toJSON());
        expect(parse(text).format()).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('fileseq: parseFileSeq(formatFileSeq(c)) equals c for non-empty collections', () => {
    fc.assert(
      fc.property(collectionArb, ({ head, tail, padding, indexes }) => {
        fc.pre(indexes.length > 0 && !/\d$/.test(head));
        const collection = new Collection(head, tail, padding, indexes);
        const parsed = parseFileSeq(formatFileSeq(collection));
        expect(parsed?.toJSON()).toEqual(collection.toJSON());
      }),
      { numRuns: 300 },
    );
  });

  it('frame ranges round-trip', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -100, max: 100 }), { maxLength: 60 }), (frames) => {
        expect(parseFrameRange(formatFrameRange(frames))).toEqual([...frames].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});

describe('assemble fast path (property)', () => {
  it('the hand-written digit scanner agrees with clique DIGITS_PATTERN as a regex', async () => {
    const { assemble, DIGITS_PATTERN } = await import('../src/index.js');
    const nameArb = fc
      .array(fc.constantFrom('a', '_', '.', '0', '1', '7', 'v', '/'), { minLength: 1, maxLength: 10 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(nameArb, { maxLength: 30 }), fc.boolean(), (names, caseSensitive) => {
        const fast = assemble(names, { caseSensitive });
        const slow = assemble(names, { caseSensitive, patterns: [DIGITS_PATTERN] });
        const key = (result: typeof fast) => ({
          collections: result.collections.map((collection) => collection.format()).sort(),
          remainder: [...result.remainder].sort(),
        });
        expect(key(fast)).toEqual(key(slow));
      }),
      { numRuns: 300 },
    );
  });
});
