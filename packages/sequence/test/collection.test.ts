import { describe, expect, it } from 'vitest';
import { assemble, Collection, CollectionError, PATTERNS, ParseError, parse } from '../src/index.js';

describe('Collection', () => {
  it('iterates item names with padding, including negative frames', () => {
    const collection = new Collection('/shots/a.', '.exr', 4, [3, 1, 2, -2]);
    expect(collection.indexes).toEqual([-2, 1, 2, 3]);
    expect([...collection]).toEqual([
      '/shots/a.-0002.exr',
      '/shots/a.0001.exr',
      '/shots/a.0002.exr',
      '/shots/a.0003.exr',
    ]);
    expect(collection.has('/shots/a.0002.exr')).toBe(true);
    expect(collection.has('/shots/a.0009.exr')).toBe(false);
    expect(collection.match('/shots/a.-0002.exr')).toMatchObject({ index: '-0002', value: -2, padded: true });
  });

  it('adds and removes members; throws for non-members and mismatches', () => {
    const collection = new Collection('f.', '.dpx', 0);
    collection.add('f.10.dpx');
    collection.add('f.11.dpx');
    expect(collection.indexes).toEqual([10, 11]);
    collection.remove('f.10.dpx');
    expect(collection.indexes).toEqual([11]);
    expect(() => collection.remove('f.10.dpx')).toThrow(CollectionError);
    expect(() => collection.add('g.10.dpx')).toThrow(CollectionError);
    expect(() => collection.add('f.010.dpx')).toThrow(CollectionError);
  });

  it('merges compatible collections and refuses others', () => {
    const a = new Collection('f.', '.exr', 4, [1, 2]);
    a.merge(new Collection('f.', '.exr', 4, [2, 3]));
    expect(a.indexes).toEqual([1, 2, 3]);
    expect(a.isCompatible(new Collection('f.', '.exr', 3))).toBe(false);
    expect(() => a.merge(new Collection('f.', '.exr', 3, [9]))).toThrow(CollectionError);
  });

  it('separates into contiguous runs', () => {
    const parts = new Collection('f.', '.exr', 4, [1, 2, 3, 7, 9, 10]).separate();
    expect(parts.map((part) => part.indexes)).toEqual([[1, 2, 3], [7], [9, 10]]);
    expect(new Collection('f.', '.exr', 4).separate().map((part) => part.indexes)).toEqual([[]]);
  });

  it('formats holes and ranges, clones independently, serialises', () => {
    const collection = new Collection('f.', '.exr', 4, [1, 2, 3, 7, 9, 10]);
    expect(collection.format('{range} [{holes}]')).toBe('1-10 [4-6, 8]');
    const copy = collection.clone();
    copy.addIndex(4);
    expect(collection.hasIndex(4)).toBe(false);
    expect(JSON.parse(JSON.stringify(collection))).toEqual({
      head: 'f.',
      tail: '.exr',
      padding: 4,
      indexes: [1, 2, 3, 7, 9, 10],
    });
    expect(String(collection)).toBe('f.%04d.exr [1-3, 7, 9-10]');
  });
});

describe('parse errors and patterns', () => {
  it('throws ParseError on a value that matches neither clique nor fileseq syntax', () => {
    expect(() => parse('/path/to/file.exr')).toThrow(ParseError);
    expect(() => parse('/path/file.exr', '{head}{padding}{tail}')).toThrow(ParseError);
    // clique's tail is greedy: the ranges become part of it.
    expect(parse('/path/file.%04d.exr [1-3]', '{head}{padding}{tail}').tail).toBe('.exr [1-3]');
  });

  it('parses negative ranges', () => {
    expect(parse('f.%04d.exr [-3--1, 2]').indexes).toEqual([-3, -2, -1, 2]);
  });

  it('assembles with the frames and versions patterns', () => {
    const frames = assemble(['plate_v002.1001.exr', 'plate_v002.1002.exr', 'plate_v002.1003.exr'], {
      patterns: [PATTERNS.frames],
    });
    expect(frames.collections.map((collection) => collection.format())).toEqual([
      'plate_v002.%d.exr [1001-1003]',
    ]);
    const versions = assemble(['comp_v001.nk', 'comp_v002.nk', 'notes.txt'], {
      patterns: [PATTERNS.versions],
    });
    expect(versions.collections.map((collection) => collection.format())).toEqual(['comp_v%03d.nk [1-2]']);
    expect(versions.remainder).toEqual(['notes.txt']);
  });
});
