import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AccessorOperationFailedError,
  type CheckpointStore,
  type Component,
  ComponentInLocationError,
  ComponentNotInLocationError,
  ComponentTransferError,
  EVENT_COMPONENT_ADDED,
  EVENT_COMPONENT_REMOVED,
  FileCheckpointStore,
  LocationError,
  MemoryAccessor,
  MemoryCheckpointStore,
  OperationAbortedError,
  readAll,
  Session,
} from '../src/index.js';
import { TestStructure, tempDir, writeFrames } from './helpers.js';

async function setup(checkpoints?: CheckpointStore) {
  const session = new Session({ pluginPaths: [], ...(checkpoints ? { checkpoints } : {}) });
  const accessor = new MemoryAccessor();
  const location = session.createLocation({
    name: 'studio',
    accessor,
    structure: new TestStructure(),
    priority: 10,
  });
  const dir = await tempDir();
  return { session, accessor, location, dir };
}

describe('Location.addComponent', () => {
  it('adds a file: data copied, registered, 100% available', async () => {
    const { session, accessor, location, dir } = await setup();
    const path = join(dir, 'notes.txt');
    await writeFile(path, 'hello stowage');
    const component = await session.createComponent(path, { name: 'notes' }, location);
    expect(component.kind).toBe('file');
    expect(component.size).toBe(13);
    expect(component.fileType).toBe('.txt');
    const ri = await location.getResourceIdentifier(component);
    expect(ri).toBe(`${component.id}.txt`);
    expect((await readAll(await accessor.createReadStream(ri))).toString()).toBe('hello stowage');
    expect(await location.getComponentAvailability(component)).toBe(100);
    expect(await session.origin.getResourceIdentifier(component)).toBe(path);
  });

  it('adds a sequence: one member per frame, data for members only', async () => {
    const { session, accessor, location, dir } = await setup();
    await writeFrames(dir, 12, 2048);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-12]'), {}, location);
    expect(sequence.kind).toBe('sequence');
    expect(sequence.padding).toBe(4);
    expect(sequence.members).toHaveLength(12);
    expect(sequence.size).toBe(12 * 2048);
    expect(sequence.members![0]!.name).toBe('0001');
    const listing = await accessor.list(sequence.id);
    expect(listing).toHaveLength(12);
    expect(listing[0]).toBe(`${sequence.id}/file.0001.exr`);
    expect(await location.getResourceIdentifier(sequence)).toBe(`${sequence.id}/file.%04d.exr`);
    expect(await accessor.isSequence(`${sequence.id}/file.%04d.exr`)).toBe(true);
    expect(await location.getComponentAvailability(sequence)).toBe(100);
  });

  it('adds a container with its members inside its folder', async () => {
    const { session, accessor, location, dir } = await setup();
    await writeFile(join(dir, 'a.pdf'), 'A');
    await writeFile(join(dir, 'b.pdf'), 'BB');
    const members: Component[] = [];
    const container: Component = {
      id: 'c0ffee00-0000-4000-8000-000000000001',
      name: 'docs',
      kind: 'container',
      fileType: '',
      size: 3,
    };
    for (const [name, size] of [
      ['a', 1],
      ['b', 2],
    ] as const) {
      members.push({
        id: `member-${name}`,
        name,
        kind: 'file',
        fileType: '.pdf',
        size,
        container: { ...container },
      });
    }
    container.members = members;
    await session.origin.addComponents(
      [container, ...members],
      [dir, join(dir, 'a.pdf'), join(dir, 'b.pdf')],
    );
    await location.addComponent(container, session.origin);
    expect(await accessor.isContainer(container.id)).toBe(true);
    expect(await accessor.list(container.id)).toEqual([`${container.id}/a.pdf`, `${container.id}/b.pdf`]);
    expect(await location.getComponentAvailability(container)).toBe(100);
  });

  it('raises ComponentInLocationError when already present, transferring nothing', async () => {
    const { session, location, dir } = await setup();
    const path = join(dir, 'x.bin');
    await writeFile(path, 'x');
    const component = await session.createComponent(path, {}, location);
    let progressCalls = 0;
    await expect(
      location.addComponent(component, session.origin, { onProgress: () => progressCalls++ }),
    ).rejects.toBeInstanceOf(ComponentInLocationError);
    expect(progressCalls).toBe(0);
  });

  it.each([
    ['in memory, locked key by key', async () => new MemoryCheckpointStore()],
    ['in files, lockMany on the threads', async () => new FileCheckpointStore(await tempDir())],
  ])(
    'of two adds of one sequence at once, one transfers it and the other is refused at once (store %s)',
    async (_label, makeStore) => {
      const { session, accessor, location, dir } = await setup(await makeStore());
      await writeFrames(dir, 24, 4096);
      const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-24]'), {}, null);
      // The winner's frames wait until the other add has settled: on a loaded
      // machine the winner could otherwise finish and release its lock before
      // the other asks for it (which then meets a registered component). The
      // fallback opens the gate if both got past the lock, so that fails the
      // assertions below instead of hanging.
      let open = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const fallback = setTimeout(open, 5000);
      const write = accessor.write.bind(accessor);
      accessor.write = async (...args: Parameters<typeof write>) => {
        await gate;
        return write(...args);
      };
      const adds = [
        location.addComponent(sequence, session.origin),
        location.addComponent(sequence, session.origin),
      ];
      Promise.race(adds).then(open, open);
      const results = await Promise.allSettled(adds);
      clearTimeout(fallback);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(LocationError);
      expect((refused.reason as Error).message).toMatch(/already being added to location "studio"/);
      expect(await location.getComponentAvailability(sequence)).toBe(100);
      expect(await accessor.list(sequence.id)).toHaveLength(24);
      // Released: a later add finds it registered.
      await expect(location.addComponent(sequence, session.origin)).rejects.toBeInstanceOf(
        ComponentInLocationError,
      );
    },
  );

  it('the origin registers without locks (it moves no data); a managed location locks what it adds', async () => {
    const store = new MemoryCheckpointStore();
    const locked: string[] = [];
    const lock = store.lock.bind(store);
    store.lock = (key) => {
      locked.push(key);
      return lock(key);
    };
    const { session, location, dir } = await setup(store);
    await writeFrames(dir, 24, 16);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-24]'), {}, null);
    expect(locked).toEqual([]);
    await location.addComponent(sequence, session.origin);
    expect(locked).toHaveLength(1);
    expect(locked[0]).toContain(sequence.id);
  });

  it('raises LocationError when the structure target already exists, and never overwrites', async () => {
    const { session, accessor, location, dir } = await setup();
    const path = join(dir, 'x.bin');
    await writeFile(path, 'new bytes');
    const component = await session.createComponent(path, {}, null);
    await accessor.write(`${component.id}.bin`, 'precious');
    const error = await location.addComponent(component, session.origin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocationError);
    expect(error).not.toBeInstanceOf(ComponentInLocationError);
    expect((error as Error).message).toMatch(/already exists/);
    expect((await readAll(await accessor.createReadStream(`${component.id}.bin`))).toString()).toBe(
      'precious',
    );
    expect(await location.getComponentAvailability(component)).toBe(0);
  });

  it('a failing member: nothing registered, the error lists what was transferred, data rolled back', async () => {
    const { session, location, dir } = await setup();
    await writeFrames(dir, 6, 512);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-6]'), {}, null);
    const failing = sequence.members![3]!;
    const accessor = location.accessor as MemoryAccessor;
    const original = accessor.write.bind(accessor);
    accessor.write = async (ri, source, options) => {
      if (ri.endsWith(`file.${failing.name}.exr`)) {
        throw new AccessorOperationFailedError({
          operation: 'write',
          resourceIdentifier: ri,
          message: 'disk on fire',
        });
      }
      return original(ri, source, options);
    };
    const error = (await location
      .addComponent(sequence, session.origin, { concurrency: 1 })
      .catch((e: unknown) => e)) as ComponentTransferError;
    expect(error).toBeInstanceOf(ComponentTransferError);
    expect(error.transferred).toEqual(sequence.members!.slice(0, 3).map((member) => member.id));
    expect(error.errors[0]!.componentId).toBe(failing.id);
    expect(error.message).toMatch(/disk on fire/);
    expect(await location.getComponentAvailability(sequence)).toBe(0);
    expect(await session.registry.getComponentLocations(sequence.members!.map((m) => m.id))).toEqual([]);
    expect(await accessor.list(sequence.id)).toEqual([]);
  });

  it('aborts through an AbortSignal with nothing registered or left behind', async () => {
    const { session, accessor, location, dir } = await setup();
    await writeFrames(dir, 8, 256 * 1024);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-8]'), {}, null);
    const controller = new AbortController();
    const promise = location.addComponent(sequence, session.origin, {
      concurrency: 2,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.bytesDone > 300 * 1024) controller.abort();
      },
    });
    await expect(promise).rejects.toBeInstanceOf(OperationAbortedError);
    expect(await location.getComponentAvailability(sequence)).toBe(0);
    const left = await accessor.list(sequence.id).catch(() => []);
    expect(left).toEqual([]);
  });

  it('reports progress in bytes and components, ending at the totals', async () => {
    const { session, location, dir } = await setup();
    await writeFrames(dir, 5, 100_000);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-5]'), {}, null);
    const seen: number[] = [];
    let last = { bytesDone: 0, bytesTotal: 0, componentsDone: 0, componentsTotal: 0 };
    await location.addComponent(sequence, session.origin, {
      onProgress: (progress) => {
        seen.push(progress.bytesDone);
        last = progress;
      },
    });
    expect(last.bytesDone).toBe(500_000);
    expect(last.bytesTotal).toBe(500_000);
    expect(last.componentsDone).toBe(6);
    expect(last.componentsTotal).toBe(6);
    expect(seen.length).toBeGreaterThan(1);
  });
});

describe('Location.removeComponent and availability', () => {
  it('availability of a sequence goes 100 -> 50 -> 0 as member registrations go', async () => {
    const { session, location, dir } = await setup();
    await writeFrames(dir, 20, 64);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-20]'), {}, location);
    expect(await location.getComponentAvailability(sequence)).toBe(100);
    await session.registry.removeComponentLocations(
      location.id,
      sequence.members!.slice(0, 10).map((member) => member.id),
    );
    expect(await location.getComponentAvailability(sequence)).toBe(50);
    const availability = await session.getComponentAvailability(sequence);
    expect(availability[location.id]).toBe(50);
    expect(availability['stowage.origin']).toBe(100);
    await session.registry.removeComponentLocations(
      location.id,
      sequence.members!.map((member) => member.id),
    );
    expect(await location.getComponentAvailability(sequence)).toBe(0);
  });

  it('removes members first, then the sequence; data gone; events once per component', async () => {
    const { session, accessor, location, dir } = await setup();
    await writeFrames(dir, 4, 10);
    const added: string[] = [];
    const removed: string[] = [];
    session.eventHub.subscribe(EVENT_COMPONENT_ADDED, (event) => {
      added.push(event.data.componentId as string);
    });
    session.eventHub.subscribe(EVENT_COMPONENT_REMOVED, (event) => {
      removed.push(event.data.componentId as string);
    });
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-4]'), {}, location);
    // origin registers 5 and the studio location 5: once each per location.
    const studioAdds = added.slice(5);
    expect(new Set(studioAdds).size).toBe(5);
    expect(studioAdds.at(-1)).toBe(sequence.id);
    await location.removeComponent(sequence);
    expect(removed).toHaveLength(5);
    expect(removed.at(-1)).toBe(sequence.id);
    expect(await accessor.list(sequence.id)).toEqual([]);
    expect(await location.getComponentAvailability(sequence)).toBe(0);
    await expect(location.removeComponent(sequence)).rejects.toBeInstanceOf(ComponentNotInLocationError);
  });

  it('getComponentAvailabilities answers many components at once', async () => {
    const { session, location, dir } = await setup();
    await writeFile(join(dir, 'a.txt'), 'a');
    await writeFile(join(dir, 'b.txt'), 'b');
    const a = await session.createComponent(join(dir, 'a.txt'), {}, location);
    const b = await session.createComponent(join(dir, 'b.txt'), {}, null);
    const [availA, availB] = await session.getComponentAvailabilities([a, b], [location]);
    expect(availA).toEqual({ studio: 100 });
    expect(availB).toEqual({ studio: 0 });
  });
});

describe('Session', () => {
  it('pickLocation picks the lowest priority number among accessible locations', async () => {
    const session = new Session({ pluginPaths: [] });
    const structure = new TestStructure();
    session.createLocation({ name: 'far', accessor: new MemoryAccessor(), structure, priority: 60 });
    const near = session.createLocation({
      name: 'near',
      accessor: new MemoryAccessor(),
      structure,
      priority: 20,
    });
    session.createLocation({ name: 'no-accessor', structure, priority: 1 });
    expect((await session.pickLocation())?.name).toBe('near');
    near.priority = 80;
    // stowage.unmanaged (90) still loses to 'far' (60).
    expect((await session.pickLocation())?.name).toBe('far');
  });

  it('pickLocation(component) picks the best location where it is fully available', async () => {
    const session = new Session({ pluginPaths: [] });
    const structure = new TestStructure();
    const a = session.createLocation({ name: 'a', accessor: new MemoryAccessor(), structure, priority: 10 });
    const b = session.createLocation({ name: 'b', accessor: new MemoryAccessor(), structure, priority: 20 });
    const dir = await tempDir();
    await writeFile(join(dir, 'f.txt'), 'f');
    const component = await session.createComponent(join(dir, 'f.txt'), {}, b);
    expect((await session.pickLocation(component))?.name).toBe('b');
    await a.addComponent(component, b);
    expect((await session.pickLocation(component))?.name).toBe('a');
  });

  it('createComponent with location null keeps it only in origin; auto uses pickLocation', async () => {
    const session = new Session({ pluginPaths: [] });
    const location = session.createLocation({
      name: 'auto-target',
      accessor: new MemoryAccessor(),
      structure: new TestStructure(),
      priority: 5,
    });
    const dir = await tempDir();
    await writeFile(join(dir, 'f.txt'), 'f');
    const kept = await session.createComponent(join(dir, 'f.txt'), {}, null);
    expect(await location.getComponentAvailability(kept)).toBe(0);
    expect(await session.origin.getComponentAvailability(kept)).toBe(100);
    const auto = await session.createComponent(join(dir, 'f.txt'));
    expect(await location.getComponentAvailability(auto)).toBe(100);
  });

  it('reserves stowage.* names and refuses duplicates', () => {
    const session = new Session({ pluginPaths: [] });
    expect(() => session.createLocation({ name: 'stowage.mine' })).toThrow(LocationError);
    session.createLocation({ name: 'dup' });
    expect(() => session.createLocation({ name: 'dup' })).toThrow(LocationError);
  });

  it('raises LocationError without a structure', async () => {
    const session = new Session({ pluginPaths: [] });
    const location = session.createLocation({ name: 'bare', accessor: new MemoryAccessor() });
    const dir = await tempDir();
    await writeFile(join(dir, 'f.txt'), 'f');
    const component = await session.createComponent(join(dir, 'f.txt'), {}, null);
    await expect(location.addComponent(component, session.origin)).rejects.toThrow(/No structure/);
  });

  it('getComponent rebuilds a sequence with its members from the registry', async () => {
    const { session, location, dir } = await setup();
    await writeFrames(dir, 3, 10);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-3]'), {}, location);
    const loaded = await session.getComponent(sequence.id);
    expect(loaded.kind).toBe('sequence');
    expect(loaded.members?.map((member) => member.name)).toEqual(['0001', '0002', '0003']);
    expect(loaded.members?.[0]?.container?.id).toBe(sequence.id);
  });
});

describe('Location.verifyComponent', () => {
  it('finds missing and wrong-size frames with one listing per container', async () => {
    const { session, accessor, location, dir } = await setup();
    await writeFrames(dir, 10, 100);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-10]'), {}, location);
    expect((await location.verifyComponent(sequence, { sizes: true })).ok).toBe(true);
    await accessor.remove(`${sequence.id}/file.0003.exr`);
    await accessor.write(`${sequence.id}/file.0005.exr`, 'short');
    let lists = 0;
    let stats = 0;
    const listStats = accessor.listStats.bind(accessor);
    accessor.listStats = async (ri) => {
      lists++;
      return listStats(ri);
    };
    const stat = accessor.stat.bind(accessor);
    accessor.stat = async (ri) => {
      stats++;
      return stat(ri);
    };
    const result = await location.verifyComponent(sequence, { sizes: true });
    expect(result.ok).toBe(false);
    expect(result.checked).toBe(10);
    expect(result.missing.map((file) => file.name)).toEqual(['0003']);
    expect(result.sizeMismatches).toEqual([expect.objectContaining({ expected: 100, actual: 5 })]);
    expect(lists).toBe(1);
    expect(stats).toBe(0);
  });

  it('with checksums, re-reads present files and finds same-size corruption', async () => {
    const { session, accessor, location, dir } = await setup();
    await writeFrames(dir, 6, 100);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-6]'), {}, location, {
      checksums: 'always',
    });
    const clean = await location.verifyComponent(sequence, { checksums: true });
    expect(clean.ok).toBe(true);
    expect(clean.checksumMismatches).toEqual([]);
    expect(clean.unchecksummed).toEqual([]);
    // Same size, other bytes: only a checksum can tell.
    await accessor.write(`${sequence.id}/file.0002.exr`, Buffer.alloc(100, 0x7a));
    await accessor.remove(`${sequence.id}/file.0004.exr`);
    expect((await location.verifyComponent(sequence, { sizes: true })).sizeMismatches).toEqual([]);
    const result = await location.verifyComponent(sequence, { checksums: true, concurrency: 2 });
    expect(result.ok).toBe(false);
    expect(result.missing.map((file) => file.name)).toEqual(['0004']);
    expect(result.checksumMismatches).toEqual([
      expect.objectContaining({ component: expect.objectContaining({ name: '0002' }) }),
    ]);
    expect(result.checksumMismatches[0]?.actual).not.toBe(result.checksumMismatches[0]?.expected);
  });

  it('registers no checksum by default where nothing compared one (disk to memory)', async () => {
    const { session, location, dir } = await setup();
    await writeFrames(dir, 2, 10);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-2]'), {}, location);
    const result = await location.verifyComponent(sequence, { checksums: true });
    expect(result.ok).toBe(true);
    expect(result.unchecksummed.map((file) => file.name)).toEqual(['0001', '0002']);
  });

  it('with checksums, files registered without one are reported, not compared', async () => {
    const { session, accessor, location, dir } = await setup();
    await writeFrames(dir, 2, 10);
    const sequence = await session.createComponent(join(dir, 'plate.%04d.exr [1-2]'), {}, location);
    const members = sequence.members ?? [];
    // As a registry written before checksums were kept would hold it.
    await session.registry.removeComponentLocations(
      location.id,
      members.map((member) => member.id),
    );
    await session.registry.addComponentLocations(
      members.map((member) => ({
        componentId: member.id,
        locationId: location.id,
        resourceIdentifier: `${sequence.id}/file.${member.name}.exr`,
      })),
    );
    await accessor.write(`${sequence.id}/file.0001.exr`, Buffer.alloc(10, 1));
    const result = await location.verifyComponent(sequence, { checksums: true });
    expect(result.unchecksummed).toHaveLength(2);
    expect(result.checksumMismatches).toEqual([]);
  });
});
