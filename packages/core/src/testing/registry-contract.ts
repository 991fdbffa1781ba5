import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Registry, StoredComponent } from '../registry.js';

export interface RegistryContractOptions {
  /** A new, empty registry for each test. */
  create: () => Registry | Promise<Registry>;
}

const version = { project: 'Feature', ancestors: ['sq010', 'sh010'], asset: 'plate', number: 3 };

function file(id: string, containerId: string | null = null, name = id): StoredComponent {
  return { id, name, kind: 'file', fileType: '.exr', size: 10, containerId, version: null };
}

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

    it('stores and returns component records, version context included', async () => {
      await registry.putComponents(sequence('s', 2));
      const stored = await registry.getComponent('s');
      expect(stored).toMatchObject({ id: 's', kind: 'sequence', padding: 4, size: 20, version });
      expect(await registry.getComponent('missing')).toBeUndefined();
    });

    it('upserts: a second put replaces the record', async () => {
      await registry.putComponents([file('f')]);
      await registry.putComponents([{ ...file('f'), name: 'renamed', size: 99 }]);
      expect(await registry.getComponent('f')).toMatchObject({ name: 'renamed', size: 99 });
    });

    it('getComponents keeps the requested order and skips missing ids', async () => {
      await registry.putComponents([file('a'), file('b'), file('c')]);
      expect((await registry.getComponents(['c', 'missing', 'a'])).map((c) => c.id)).toEqual(['c', 'a']);
    });

    it('getMembers returns a container`s members sorted by name', async () => {
      await registry.putComponents([
        { id: 'box', name: 'box', kind: 'container', fileType: '', size: 0, containerId: null },
        file('m2', 'box', 'b'),
        file('m1', 'box', 'a'),
      ]);
      expect((await registry.getMembers('box')).map((m) => m.name)).toEqual(['a', 'b']);
      expect(await registry.getMembers('nothing')).toEqual([]);
    });

    it('adds component-locations in one batch and reads them back, filtered', async () => {
      await registry.putComponents([file('a'), file('b')]);
      const { conflicts } = await registry.addComponentLocations([
        { componentId: 'a', locationId: 'l1', resourceIdentifier: 'a.exr' },
        { componentId: 'b', locationId: 'l1', resourceIdentifier: 'b.exr' },
        { componentId: 'a', locationId: 'l2', resourceIdentifier: 'x/a.exr' },
      ]);
      expect(conflicts).toEqual([]);
      expect(await registry.getComponentLocations(['a'], ['l2'])).toEqual([
        { componentId: 'a', locationId: 'l2', resourceIdentifier: 'x/a.exr' },
      ]);
      expect(await registry.getComponentLocations(['a', 'b'])).toHaveLength(3);
      expect((await registry.listComponentIds('l1')).sort()).toEqual(['a', 'b']);
    });

    it('refuses a batch with any component already there, writing nothing', async () => {
      await registry.addComponentLocations([{ componentId: 'a', locationId: 'l', resourceIdentifier: 'a' }]);
      const { conflicts } = await registry.addComponentLocations([
        { componentId: 'b', locationId: 'l', resourceIdentifier: 'b' },
        { componentId: 'a', locationId: 'l', resourceIdentifier: 'a2' },
      ]);
      expect(conflicts).toEqual(['a']);
      expect(await registry.getComponentLocations(['b'])).toEqual([]);
      expect(await registry.getComponentLocations(['a'])).toEqual([
        { componentId: 'a', locationId: 'l', resourceIdentifier: 'a' },
      ]);
    });

    it('refuses duplicates inside one batch', async () => {
      const { conflicts } = await registry.addComponentLocations([
        { componentId: 'a', locationId: 'l', resourceIdentifier: '1' },
        { componentId: 'a', locationId: 'l', resourceIdentifier: '2' },
      ]);
      expect(conflicts).toEqual(['a']);
      expect(await registry.getComponentLocations(['a'])).toEqual([]);
    });

    it('removes component-locations; missing ones are ignored', async () => {
      await registry.addComponentLocations([
        { componentId: 'a', locationId: 'l', resourceIdentifier: 'a' },
        { componentId: 'a', locationId: 'm', resourceIdentifier: 'a' },
      ]);
      await registry.removeComponentLocations('l', ['a', 'never']);
      expect(await registry.getComponentLocations(['a'])).toEqual([
        { componentId: 'a', locationId: 'm', resourceIdentifier: 'a' },
      ]);
    });

    it('availability of a file is 0 or 100', async () => {
      await registry.putComponents([file('f')]);
      await registry.addComponentLocations([{ componentId: 'f', locationId: 'l', resourceIdentifier: 'f' }]);
      expect(await registry.getAvailabilities(['f'], ['l', 'm'])).toEqual({ f: { l: 100, m: 0 } });
    });

    it('availability of a sequence counts frames: 10 of 20 -> 50, 1 of 3 -> 33.333333333', async () => {
      await registry.putComponents([...sequence('s', 20), ...sequence('t', 3)]);
      await registry.addComponentLocations(
        Array.from({ length: 10 }, (_, i) => ({
          componentId: `s-f${i}`,
          locationId: 'l',
          resourceIdentifier: `${i}`,
        })),
      );
      await registry.addComponentLocations([
        { componentId: 't-f0', locationId: 'l', resourceIdentifier: 't0' },
      ]);
      expect(await registry.getAvailabilities(['s', 't'], ['l'])).toEqual({
        s: { l: 50 },
        t: { l: 33.333333333 },
      });
    });

    it('a sequence registered without its members is 0; its own record is ignored', async () => {
      await registry.putComponents(sequence('s', 4));
      await registry.addComponentLocations([
        { componentId: 's', locationId: 'l', resourceIdentifier: 's.%04d.exr' },
      ]);
      expect((await registry.getAvailabilities(['s'], ['l'])).s).toEqual({ l: 0 });
    });

    it('a container of files is the mean of its members; an empty one uses its own record', async () => {
      await registry.putComponents([
        { id: 'box', name: 'box', kind: 'container', fileType: '', size: 0, containerId: null },
        file('m1', 'box'),
        file('m2', 'box'),
        file('m3', 'box'),
        file('m4', 'box'),
        { id: 'empty', name: 'empty', kind: 'container', fileType: '', size: 0, containerId: null },
      ]);
      await registry.addComponentLocations([
        { componentId: 'm1', locationId: 'l', resourceIdentifier: '1' },
        { componentId: 'empty', locationId: 'l', resourceIdentifier: 'e' },
      ]);
      expect(await registry.getAvailabilities(['box', 'empty'], ['l'])).toEqual({
        box: { l: 25 },
        empty: { l: 100 },
      });
    });

    it('nested containers average their members recursively', async () => {
      await registry.putComponents([
        { id: 'outer', name: 'outer', kind: 'container', fileType: '', size: 0, containerId: null },
        { id: 'inner', name: 'inner', kind: 'container', fileType: '', size: 0, containerId: 'outer' },
        file('i1', 'inner'),
        file('i2', 'inner'),
        file('o1', 'outer'),
      ]);
      await registry.addComponentLocations([
        { componentId: 'i1', locationId: 'l', resourceIdentifier: '1' },
        { componentId: 'o1', locationId: 'l', resourceIdentifier: '2' },
      ]);
      // (50 + 100) / 2
      expect((await registry.getAvailabilities(['outer'], ['l'])).outer).toEqual({ l: 75 });
    });

    it('answers many components x many locations in one call; unknown ids are 0', async () => {
      await registry.putComponents([...sequence('s', 4), file('f')]);
      await registry.addComponentLocations([
        { componentId: 's-f0', locationId: 'a', resourceIdentifier: '0' },
        { componentId: 's-f1', locationId: 'b', resourceIdentifier: '1' },
        { componentId: 'f', locationId: 'b', resourceIdentifier: 'f' },
      ]);
      expect(await registry.getAvailabilities(['s', 'f', 'unknown'], ['a', 'b', 'c'])).toEqual({
        s: { a: 25, b: 25, c: 0 },
        f: { a: 0, b: 100, c: 0 },
        unknown: { a: 0, b: 0, c: 0 },
      });
    });
  });
}
