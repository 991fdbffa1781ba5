import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComponentLocationRecord, Registry, StoredComponent } from '../registry.js';

export interface RegistryContractOptions {
  /** A new, empty registry for each test; the suite closes it afterwards. */
  create: () => Registry | Promise<Registry>;
}

const version = { project: 'Feature', ancestors: ['sq010', 'sh010'], asset: 'plate', number: 3 };

function file(id: string, containerId: string | null = null, name = id): StoredComponent {
  return { id, name, kind: 'file', fileType: '.exr', size: 10, containerId, version: null };
}

function container(id: string, containerId: string | null = null): StoredComponent {
  return { id, name: id, kind: 'container', fileType: '', size: 0, containerId, version: null };
}

/** A sequence record followed by its frames `<id>-f0`, `<id>-f1`, ... named 0001, 0002, ... */
function sequence(id: string, frames: number): StoredComponent[] {
  const members = Array.from({ length: frames }, (_, i) =>
    file(`${id}-f${i}`, id, String(i + 1).padStart(4, '0')),
  );
  return [
    {
      id,
      name: 'plate',
      kind: 'sequence',
      fileType: '.exr',
      size: frames * 10,
      padding: 4,
      containerId: null,
      version,
    },
    ...members,
  ];
}

function at(locationId: string, ...componentIds: string[]): ComponentLocationRecord[] {
  return componentIds.map((componentId) => ({
    componentId,
    locationId,
    resourceIdentifier: `${locationId}/${componentId}`,
  }));
}

function frames(id: string, indices: number[]): string[] {
  return indices.map((i) => `${id}-f${i}`);
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** Order-free comparison: registries return component-locations in any order. */
function sorted(records: ComponentLocationRecord[]): ComponentLocationRecord[] {
  const key = (record: ComponentLocationRecord) => `${record.componentId}\u0000${record.locationId}`;
  return [...records].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * The behaviour every Registry implementation must have (MemoryRegistry,
 * SqliteRegistry, yours). Run it from a vitest file:
 * `describeRegistryContract('MyRegistry', { create: () => new MyRegistry() })`.
 */
export function describeRegistryContract(name: string, options: RegistryContractOptions): void {
  describe(`registry contract: ${name}`, () => {
    let registry: Registry;
    beforeEach(async () => {
      registry = await options.create();
    });
    afterEach(async () => {
      await registry.close();
    });

    describe('components', () => {
      it('round-trips a file record; absent container and version read back as null', async () => {
        await registry.putComponents([
          { id: 'f', name: 'report', kind: 'file', fileType: '.pdf', size: 1234 },
        ]);
        expect(await registry.getComponent('f')).toEqual({
          id: 'f',
          name: 'report',
          kind: 'file',
          fileType: '.pdf',
          size: 1234,
          containerId: null,
          version: null,
        });
        expect(await registry.getComponent('missing')).toBeUndefined();
      });

      it('round-trips a sequence with its members and its version context', async () => {
        const records = sequence('s', 3);
        await registry.putComponents(records);
        expect(await registry.getComponent('s')).toEqual(records[0]);
        expect(await registry.getMembers('s')).toEqual(records.slice(1));
        expect((await registry.getComponent('s'))?.version).toEqual(version);
      });

      it('round-trips a container with members, a member may come before its container', async () => {
        await registry.putComponents([file('m', 'box'), container('box'), container('sub', 'box')]);
        expect(await registry.getComponent('box')).toEqual(container('box'));
        expect(await registry.getMembers('box')).toEqual([file('m', 'box'), container('sub', 'box')]);
      });

      it('stores copies: changing a record after put or after get does not change the registry', async () => {
        const record = { ...file('f'), version: { ...version, ancestors: [...version.ancestors] } };
        await registry.putComponents([record]);
        record.name = 'changed';
        record.version.ancestors.push('changed');
        const read = await registry.getComponent('f');
        read!.version!.ancestors.push('again');
        expect(await registry.getComponent('f')).toEqual({ ...file('f'), version });
      });

      it('upserts: a second put replaces the record', async () => {
        await registry.putComponents([file('f')]);
        await registry.putComponents([{ ...file('f'), name: 'renamed', size: 99, version }]);
        expect(await registry.getComponent('f')).toEqual({
          ...file('f'),
          name: 'renamed',
          size: 99,
          version,
        });
      });

      it('upserting a member into another container moves it', async () => {
        await registry.putComponents([container('a'), container('b'), file('m', 'a')]);
        await registry.putComponents([file('m', 'b')]);
        expect(await registry.getMembers('a')).toEqual([]);
        expect((await registry.getMembers('b')).map((m) => m.id)).toEqual(['m']);
        await registry.putComponents([file('m')]);
        expect(await registry.getMembers('b')).toEqual([]);
      });

      it('getComponents keeps the requested order and skips missing ids', async () => {
        await registry.putComponents([file('a'), file('b'), file('c')]);
        expect((await registry.getComponents(['c', 'missing', 'a'])).map((c) => c.id)).toEqual(['c', 'a']);
        expect(await registry.getComponents([])).toEqual([]);
      });

      it('getMembers returns the members sorted by name; none for unknown ids', async () => {
        await registry.putComponents([
          container('box'),
          file('m3', 'box', 'c'),
          file('m1', 'box', 'a'),
          file('m2', 'box', 'b'),
          file('other', 'elsewhere', '0'),
        ]);
        expect((await registry.getMembers('box')).map((m) => m.name)).toEqual(['a', 'b', 'c']);
        expect(await registry.getMembers('nothing')).toEqual([]);
        expect(await registry.getMembers('m1')).toEqual([]);
      });

      it('accepts ids and names with quotes, wildcards, separators and non-ASCII characters', async () => {
        const odd = ["it's", '50%_done', 'a"b', 'ä/ü\\ø', 'x,y', ' '];
        await registry.putComponents([container('odd box'), ...odd.map((id) => file(id, 'odd box'))]);
        await registry.addComponentLocations(at('l', ...odd));
        expect((await registry.getComponents(odd)).map((c) => c.id)).toEqual(odd);
        expect((await registry.getMembers('odd box')).map((c) => c.id).sort()).toEqual([...odd].sort());
        expect((await registry.listComponentIds('l')).sort()).toEqual([...odd].sort());
        expect((await registry.getAvailabilities(['odd box'], ['l']))['odd box']).toEqual({ l: 100 });
      });
    });

    describe('component-locations', () => {
      it('keeps the checksums a record was registered with; records without read back without', async () => {
        await registry.putComponents([file('a'), file('b')]);
        await registry.addComponentLocations([
          {
            componentId: 'a',
            locationId: 'l',
            resourceIdentifier: 'x/a.exr',
            checksums: { md5: 'ab'.repeat(16) },
          },
          { componentId: 'b', locationId: 'l', resourceIdentifier: 'x/b.exr' },
        ]);
        const records = await registry.getComponentLocations(['a', 'b'], ['l']);
        const byId = new Map(records.map((record) => [record.componentId, record]));
        expect(byId.get('a')?.checksums).toEqual({ md5: 'ab'.repeat(16) });
        expect(byId.get('b')).toEqual({ componentId: 'b', locationId: 'l', resourceIdentifier: 'x/b.exr' });
      });

      it('adds a batch and reads it back, filtered by component and location', async () => {
        await registry.putComponents([file('a'), file('b')]);
        const { conflicts } = await registry.addComponentLocations([
          ...at('l1', 'a', 'b'),
          { componentId: 'a', locationId: 'l2', resourceIdentifier: 'x/a.exr' },
        ]);
        expect(conflicts).toEqual([]);
        expect(await registry.getComponentLocations(['a'], ['l2'])).toEqual([
          { componentId: 'a', locationId: 'l2', resourceIdentifier: 'x/a.exr' },
        ]);
        expect(sorted(await registry.getComponentLocations(['a', 'b']))).toEqual(
          sorted([
            ...at('l1', 'a', 'b'),
            { componentId: 'a', locationId: 'l2', resourceIdentifier: 'x/a.exr' },
          ]),
        );
        expect(sorted(await registry.getComponentLocations(['a', 'b', 'missing'], ['l1', 'l3']))).toEqual(
          sorted(at('l1', 'a', 'b')),
        );
        expect(await registry.getComponentLocations(['a'], [])).toEqual([]);
        expect(await registry.getComponentLocations([])).toEqual([]);
      });

      it('listComponentIds names every component in a location, and only those', async () => {
        await registry.addComponentLocations([...at('l1', 'a', 'b'), ...at('l2', 'c')]);
        expect((await registry.listComponentIds('l1')).sort()).toEqual(['a', 'b']);
        expect(await registry.listComponentIds('l2')).toEqual(['c']);
        expect(await registry.listComponentIds('none')).toEqual([]);
      });

      it('an empty batch writes nothing and reports no conflicts', async () => {
        expect(await registry.addComponentLocations([])).toEqual({ conflicts: [] });
      });

      it('refuses a batch with any component already there: nothing written, conflicts listed', async () => {
        await registry.addComponentLocations(at('l', 'a', 'c'));
        const { conflicts } = await registry.addComponentLocations([
          ...at('l', 'b', 'c'),
          { componentId: 'a', locationId: 'l', resourceIdentifier: 'new' },
          ...at('m', 'a'),
        ]);
        expect(conflicts).toEqual(['c', 'a']);
        expect(await registry.getComponentLocations(['b'])).toEqual([]);
        expect(await registry.getComponentLocations(['a'])).toEqual(at('l', 'a'));
        expect(await registry.listComponentIds('m')).toEqual([]);
      });

      it('refuses duplicates inside one batch, naming each component once', async () => {
        const { conflicts } = await registry.addComponentLocations([
          { componentId: 'a', locationId: 'l', resourceIdentifier: '1' },
          ...at('l', 'b'),
          { componentId: 'a', locationId: 'l', resourceIdentifier: '2' },
          { componentId: 'a', locationId: 'l', resourceIdentifier: '3' },
        ]);
        expect(conflicts).toEqual(['a']);
        expect(await registry.getComponentLocations(['a', 'b'])).toEqual([]);
      });

      it('the same component in several locations in one batch is not a conflict', async () => {
        expect(await registry.addComponentLocations([...at('l', 'a'), ...at('m', 'a')])).toEqual({
          conflicts: [],
        });
        expect(sorted(await registry.getComponentLocations(['a']))).toEqual([
          ...at('l', 'a'),
          ...at('m', 'a'),
        ]);
      });

      it('removes component-locations of one location; missing ones are ignored', async () => {
        await registry.addComponentLocations([...at('l', 'a', 'b'), ...at('m', 'a')]);
        await registry.removeComponentLocations('l', ['a', 'never']);
        await registry.removeComponentLocations('nowhere', ['b']);
        await registry.removeComponentLocations('l', []);
        expect(sorted(await registry.getComponentLocations(['a', 'b']))).toEqual(
          sorted([...at('m', 'a'), ...at('l', 'b')]),
        );
        // Removed, it can be added again.
        expect(await registry.addComponentLocations(at('l', 'a'))).toEqual({ conflicts: [] });
      });

      it('handles large batches (5,000 records) in one call', async () => {
        const records = sequence('big', 5000);
        await registry.putComponents(records);
        const ids = frames('big', range(5000));
        expect(await registry.addComponentLocations(at('l', ...ids))).toEqual({ conflicts: [] });
        expect(await registry.getComponentLocations(ids, ['l'])).toHaveLength(5000);
        expect((await registry.getComponents(ids)).map((c) => c.id)).toEqual(ids);
        expect(await registry.getMembers('big')).toHaveLength(5000);
        await registry.removeComponentLocations('l', ids.slice(0, 2500));
        expect(await registry.listComponentIds('l')).toHaveLength(2500);
        expect(await registry.getAvailabilities(['big'], ['l'])).toEqual({ big: { l: 50 } });
      });
    });

    describe('availability', () => {
      it('a file is 0 or 100', async () => {
        await registry.putComponents([file('f')]);
        await registry.addComponentLocations(at('l', 'f'));
        expect(await registry.getAvailabilities(['f'], ['l', 'm'])).toEqual({ f: { l: 100, m: 0 } });
      });

      it('a sequence counts its frames: 10 of 20 -> 50, 1 of 3 -> 33.333333333, 2 of 3 -> 66.666666667', async () => {
        await registry.putComponents([...sequence('s', 20), ...sequence('t', 3)]);
        await registry.addComponentLocations(at('l', ...frames('s', range(10))));
        await registry.addComponentLocations(at('l', ...frames('t', [0])));
        await registry.addComponentLocations(at('m', ...frames('t', [0, 2])));
        expect(await registry.getAvailabilities(['s', 't'], ['l', 'm'])).toEqual({
          s: { l: 50, m: 0 },
          t: { l: 33.333333333, m: 66.666666667 },
        });
      });

      it('a sequence registered without its members is 0: its own record is ignored', async () => {
        await registry.putComponents(sequence('s', 4));
        await registry.addComponentLocations(at('l', 's'));
        expect(await registry.getAvailabilities(['s'], ['l'])).toEqual({ s: { l: 0 } });
      });

      it('with members, only the members count: own record present or not, 2 of 4 -> 50', async () => {
        await registry.putComponents(sequence('s', 4));
        await registry.addComponentLocations([...at('l', 's'), ...at('l', ...frames('s', [1, 3]))]);
        await registry.addComponentLocations(at('m', ...frames('s', [0, 2])));
        expect(await registry.getAvailabilities(['s'], ['l', 'm'])).toEqual({ s: { l: 50, m: 50 } });
      });

      it('a container of files is the mean of its members; an empty one uses its own record', async () => {
        await registry.putComponents([
          container('box'),
          ...['m1', 'm2', 'm3', 'm4'].map((id) => file(id, 'box')),
          container('empty'),
          container('unregistered'),
        ]);
        await registry.addComponentLocations(at('l', 'm1', 'empty'));
        expect(await registry.getAvailabilities(['box', 'empty', 'unregistered'], ['l'])).toEqual({
          box: { l: 25 },
          empty: { l: 100 },
          unregistered: { l: 0 },
        });
      });

      it('members of members: a container averages its members, each averaging its own', async () => {
        await registry.putComponents([
          container('outer'),
          container('inner', 'outer'),
          file('i1', 'inner'),
          file('i2', 'inner'),
          file('o1', 'outer'),
          ...sequence('s', 4).map((c) => (c.id === 's' ? { ...c, containerId: 'outer' } : c)),
        ]);
        await registry.addComponentLocations(at('l', 'i1', 'o1', 'inner', ...frames('s', [0])));
        // outer = mean(inner = 50, o1 = 100, s = 25)
        expect(await registry.getAvailabilities(['outer', 'inner', 's'], ['l'])).toEqual({
          outer: { l: 58.333333333 },
          inner: { l: 50 },
          s: { l: 25 },
        });
      });

      it('follows several levels of nesting', async () => {
        const chain = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
        await registry.putComponents(
          chain.flatMap((id, level) => [
            container(id, level === 0 ? null : chain[level - 1]!),
            file(`${id}-x`, id),
          ]),
        );
        await registry.addComponentLocations(at('l', 'c5-x'));
        // c5 = mean(c5-x) = 100, each level up halves it.
        expect((await registry.getAvailabilities(['c0'], ['l'])).c0).toEqual({ l: 3.125 });
      });

      it('answers many components x many locations in one call; unknown components are 0 everywhere', async () => {
        await registry.putComponents([...sequence('s', 4), ...sequence('t', 8), file('f')]);
        await registry.addComponentLocations([
          ...at('a', ...frames('s', [0]), ...frames('t', range(8))),
          ...at('b', ...frames('s', [1, 2]), 'f'),
          ...at('c', ...frames('t', [7])),
        ]);
        expect(await registry.getAvailabilities(['s', 't', 'f', 'unknown'], ['a', 'b', 'c', 'd'])).toEqual({
          s: { a: 25, b: 50, c: 0, d: 0 },
          t: { a: 100, b: 0, c: 12.5, d: 0 },
          f: { a: 0, b: 100, c: 0, d: 0 },
          unknown: { a: 0, b: 0, c: 0, d: 0 },
        });
        expect(await registry.getAvailabilities([], ['a'])).toEqual({});
        expect(await registry.getAvailabilities(['s'], [])).toEqual({ s: {} });
      });

      it('follows removals', async () => {
        await registry.putComponents(sequence('s', 4));
        await registry.addComponentLocations(at('l', ...frames('s', range(4))));
        await registry.removeComponentLocations('l', frames('s', [0]));
        expect(await registry.getAvailabilities(['s'], ['l'])).toEqual({ s: { l: 75 } });
      });

      it('a component that contains itself counts as 0 where it reappears (no endless recursion)', async () => {
        await registry.putComponents([container('self', 'self'), file('f', 'self')]);
        await registry.putComponents([container('a', 'b'), container('b', 'a'), file('g', 'a')]);
        await registry.addComponentLocations(at('l', 'f', 'g', 'self', 'a', 'b'));
        expect(await registry.getAvailabilities(['self', 'a', 'b'], ['l'])).toEqual({
          self: { l: 50 }, // mean(self -> 0, f -> 100)
          a: { l: 50 }, // mean(b = mean(a -> 0) = 0, g = 100)
          b: { l: 50 }, // mean(a = mean(b -> 0, g = 100) = 50)
        });
      });
    });

    describe('close', () => {
      it('close resolves, and closing twice is harmless', async () => {
        await registry.putComponents([file('f')]);
        await expect(registry.close()).resolves.toBeUndefined();
        await expect(registry.close()).resolves.toBeUndefined();
      });
    });
  });
}
