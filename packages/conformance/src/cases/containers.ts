import {
  AccessorContainerNotEmptyError,
  AccessorParentResourceNotFoundError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceNotFoundError,
} from '@stowage/core';
import { expect } from 'vitest';
import { type ConformanceCase, rejectsWith, sha256, testBytes } from '../context.js';

const TRAVERSALS = [
  '..',
  'a/../../x',
  '../sibling',
  '/etc/passwd',
  'C:\\x',
  'a\u0000b',
  'a\nb',
  'a\\..\\b',
  './a',
  'a//b',
  'a/\u001b[31m',
];

export const containerCases: ConformanceCase[] = [
  {
    name: 'makeContainer recursive creates the chain',
    requires: (c) => c.write,
    async run({ path, accessor, write }) {
      await accessor.makeContainer(path('a', 'b', 'c'), true);
      await write(path('a', 'b', 'c', 'f.txt'), 'f');
      expect(await accessor.isContainer(path('a', 'b'))).toBe(true);
      expect(await accessor.list(path('a'))).toEqual([path('a', 'b')]);
    },
  },
  {
    name: 'makeContainer without recursive needs the parent',
    requires: (c) => c.write && c.containers === 'real',
    async run({ path, accessor }) {
      await rejectsWith(accessor.makeContainer(path('x', 'y'), false), AccessorParentResourceNotFoundError);
      await accessor.makeContainer(path('x'), false);
      await accessor.makeContainer(path('x', 'y'), false);
      expect(await accessor.isContainer(path('x', 'y'))).toBe(true);
    },
  },
  {
    name: 'makeContainer is idempotent',
    requires: (c) => c.write,
    async run({ path, accessor }) {
      await accessor.makeContainer(path('same'));
      await accessor.makeContainer(path('same'));
      await accessor.makeContainer(path('same'), false);
    },
  },
  {
    name: 'an empty container is listed',
    requires: (c) => c.write && c.emptyContainers,
    async run({ path, accessor }) {
      await accessor.makeContainer(path('empty'));
      expect(await accessor.list(path())).toEqual([path('empty')]);
      expect(await accessor.list(path('empty'))).toEqual([]);
    },
  },
  {
    name: 'list returns direct children only: files and containers',
    requires: (c) => c.write && c.list,
    async run({ path, accessor, write }) {
      await accessor.makeContainer(path('sub', 'deeper'));
      await write(path('sub', 'deeper', 'x.txt'), 'x');
      await write(path('top.txt'), 't');
      const listing = [...(await accessor.list(path()))].sort();
      expect(listing).toEqual([path('sub'), path('top.txt')].sort());
    },
  },
  {
    name: 'a large listing (1,200 entries) is complete',
    requires: (c) => c.write && c.list,
    async run({ path, accessor }) {
      const names = Array.from({ length: 1200 }, (_, i) => `f${String(i).padStart(5, '0')}.bin`);
      const queue = [...names];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let name = queue.shift(); name; name = queue.shift()) await accessor.write(path(name), '');
        }),
      );
      const listing = await accessor.list(path());
      expect(listing).toHaveLength(1200);
      expect(new Set(listing)).toEqual(new Set(names.map((name) => path(name))));
    },
  },
  {
    name: 'removeContainer removes an empty container',
    requires: (c) => c.removeContainer && c.containers !== 'implicit',
    async run({ path, accessor }) {
      await accessor.makeContainer(path('gone'));
      await accessor.removeContainer(path('gone'));
      expect(await accessor.exists(path('gone'))).toBe(false);
    },
  },
  {
    name: 'removeContainer refuses a non-empty container without recursive',
    requires: (c) => c.removeContainer && c.write && c.containers !== 'implicit',
    async run({ path, accessor, write }) {
      await accessor.makeContainer(path('full'));
      await write(path('full', 'f.txt'), 'f');
      await rejectsWith(accessor.removeContainer(path('full')), AccessorContainerNotEmptyError);
      expect(await accessor.exists(path('full', 'f.txt'))).toBe(true);
    },
  },
  {
    name: 'removeContainer recursive removes everything below',
    requires: (c) => c.removeContainer && c.write,
    async run({ path, accessor, write }) {
      await accessor.makeContainer(path('tree', 'a', 'b'));
      await write(path('tree', 'a', 'b', 'f.txt'), 'f');
      await write(path('tree', 'g.txt'), 'g');
      await accessor.removeContainer(path('tree'), { recursive: true });
      expect(await accessor.exists(path('tree', 'g.txt'))).toBe(false);
      expect(await accessor.exists(path('tree'))).toBe(false);
    },
  },
  {
    name: 'getContainer of nested and top-level resources',
    async run({ path, accessor }) {
      expect(await accessor.getContainer(path('a', 'b.txt'))).toBe(path('a'));
      expect(await accessor.getContainer('top.txt')).toBe('');
    },
  },
  ...(
    [
      ['padded frames', 'plate.%04d.exr', ['plate.0001.exr', 'plate.0002.exr'], true],
      ['unpadded frames', 'plate.%d.exr', ['plate.1.exr', 'plate.10.exr'], true],
      ['no frames', 'plate.%04d.exr', ['other.0001.exr'], false],
      ['frames with less padding', 'plate.%04d.exr', ['plate.1.exr'], false],
      ['a plain name', 'plate.exr', ['plate.exr'], false],
    ] as const
  ).map(
    ([label, pattern, files, expected]): ConformanceCase => ({
      name: `isSequence: ${label}`,
      requires: (c) => c.sequence && c.write,
      async run({ path, accessor, write }) {
        for (const file of files) await write(path(file), 'frame');
        expect(await accessor.isSequence(path(pattern))).toBe(expected);
      },
    }),
  ),
  {
    name: 'server-side copy duplicates the bytes',
    requires: (c) => c.serverSideCopy && c.write,
    async run({ path, accessor, write, read }) {
      const data = testBytes(150_000, 'copy');
      await write(path('a.bin'), data);
      const result = await accessor.copy!(path('a.bin'), path('b.bin'));
      expect(result.size).toBe(data.length);
      expect(sha256(await read(path('b.bin')))).toBe(sha256(data));
      expect(sha256(await read(path('a.bin')))).toBe(sha256(data));
    },
  },
  {
    name: 'server-side copy without overwrite refuses an existing target',
    requires: (c) => c.serverSideCopy && c.write,
    async run({ path, accessor, write, read }) {
      await write(path('a.bin'), 'a');
      await write(path('b.bin'), 'b');
      await rejectsWith(
        accessor.copy!(path('a.bin'), path('b.bin'), { overwrite: false }),
        AccessorResourceExistsError,
      );
      expect((await read(path('b.bin'))).toString()).toBe('b');
    },
  },
  {
    name: 'server-side copy of a missing source: AccessorResourceNotFoundError',
    requires: (c) => c.serverSideCopy,
    async run({ path, accessor }) {
      await rejectsWith(accessor.copy!(path('missing.bin'), path('b.bin')), AccessorResourceNotFoundError);
    },
  },
  ...TRAVERSALS.map(
    (identifier): ConformanceCase => ({
      name: `rejects resource identifier ${JSON.stringify(identifier)}`,
      requires: (c) => c.pathConfinement,
      async run({ accessor }) {
        await rejectsWith(accessor.stat(identifier), AccessorResourceIdentifierError);
        await rejectsWith(accessor.list(identifier), AccessorResourceIdentifierError);
        await rejectsWith(accessor.createReadStream(identifier), AccessorResourceIdentifierError);
        if (accessor.capabilities.write)
          await rejectsWith(accessor.write(identifier, 'x'), AccessorResourceIdentifierError);
        await rejectsWith(accessor.remove(identifier), AccessorResourceIdentifierError);
      },
    }),
  ),
  ...(['read', 'write', 'list'] as const).map(
    (operation): ConformanceCase => ({
      name: `a symlink leading outside the root is refused for ${operation}`,
      requires: (c, options) => c.symlinks && c.pathConfinement && options.filesystemRoot !== undefined,
      async run({ path, accessor, filesystemRoot, dir }) {
        const { mkdtemp, symlink, writeFile, readdir } = await import('node:fs/promises');
        const { join } = await import('node:path');
        const { tmpdir } = await import('node:os');
        const outside = await mkdtemp(join(tmpdir(), 'stowage-outside-'));
        await writeFile(join(outside, 'secret.txt'), 'secret');
        await symlink(outside, join(filesystemRoot!, ...dir.split('/'), 'escape'));
        if (operation === 'read')
          await rejectsWith(
            accessor.createReadStream(path('escape', 'secret.txt')),
            AccessorResourceIdentifierError,
          );
        if (operation === 'list')
          await rejectsWith(accessor.list(path('escape')), AccessorResourceIdentifierError);
        if (operation === 'write') {
          await rejectsWith(
            accessor.write(path('escape', 'planted.txt'), 'x'),
            AccessorResourceIdentifierError,
          );
          expect(await readdir(outside)).toEqual(['secret.txt']);
        }
      },
    }),
  ),
];
