import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble, Collection, parse } from '../src/index.js';

interface CollectionData {
  head: string;
  tail: string;
  padding: number;
  indexes: number[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/test-vectors/sequence-clique.json', import.meta.url), 'utf8'),
) as Record<string, Array<Record<string, unknown>>>;

const make = (data: CollectionData) => new Collection(data.head, data.tail, data.padding, data.indexes);
const plain = (collection: Collection): CollectionData => collection.toJSON();
const sortKey = (c: CollectionData) => JSON.stringify([c.head, c.tail, c.padding, c.indexes]);

describe('clique vectors', () => {
  it('has every section', () => {
    expect(Object.keys(vectors)).toEqual(
      expect.arrayContaining(['parse', 'format', 'holes', 'isContiguous', 'match', 'add', 'assemble']),
    );
  });

  describe('parse', () => {
    for (const [i, c] of vectors.parse!.entries()) {
      it(`#${i} ${JSON.stringify(c.input)}`, () => {
        const run = () => parse(c.input as string, (c.pattern as string | null) ?? undefined);
        if (c.error) expect(run).toThrow();
        else expect(plain(run())).toEqual(c.expected);
      });
    }
  });

  describe('format', () => {
    for (const [i, c] of vectors.format!.entries()) {
      it(`#${i} ${c.pattern}`, () => {
        const collection = make(c.collection as CollectionData);
        expect(c.pattern == null ? collection.format() : collection.format(c.pattern as string)).toBe(
          c.expected,
        );
      });
    }
  });

  describe('holes', () => {
    for (const [i, c] of vectors.holes!.entries()) {
      it(`#${i}`, () => expect(make(c.collection as CollectionData).holes().indexes).toEqual(c.expected));
    }
  });

  describe('isContiguous', () => {
    for (const [i, c] of vectors.isContiguous!.entries()) {
      it(`#${i}`, () => expect(make(c.collection as CollectionData).isContiguous()).toBe(c.expected));
    }
  });

  describe('match', () => {
    for (const [i, c] of vectors.match!.entries()) {
      it(`#${i} ${c.item}`, () =>
        expect(make(c.collection as CollectionData).match(c.item as string) !== null).toBe(c.matches));
    }
  });

  describe('add', () => {
    for (const [i, c] of vectors.add!.entries()) {
      it(`#${i} ${c.item}`, () => {
        const collection = make(c.collection as CollectionData);
        if (c.expected === 'error') expect(() => collection.add(c.item as string)).toThrow();
        else {
          collection.add(c.item as string);
          expect(collection.indexes).toEqual(c.expected);
        }
      });
    }
  });

  describe('assemble', () => {
    for (const [i, c] of vectors.assemble!.entries()) {
      it(`#${i} ${JSON.stringify(c.options)}`, () => {
        const raw = (c.options ?? {}) as Record<string, unknown>;
        const options = { ...raw, ...(raw.patterns === 'none' ? { patterns: [] } : {}) };
        const result = assemble(c.items as string[], options as never);
        const expected = c.expected as { collections: CollectionData[]; remainder: string[] };
        const got = result.collections.map(plain).sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
        const want = [...expected.collections].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
        expect(got).toEqual(want);
        expect([...result.remainder].sort()).toEqual([...expected.remainder].sort());
      });
    }
  });
});
