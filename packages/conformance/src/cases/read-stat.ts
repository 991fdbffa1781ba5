import {
  type Accessor,
  AccessorParentResourceNotFoundError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
  readAll,
} from '@stowage/core';
import { expect } from 'vitest';
import { type ConformanceCase, rejectsWith, testBytes } from '../context.js';

const DATA = testBytes(10_000, 'range');

const RANGES: Array<[string, { start?: number; end?: number }, Buffer]> = [
  ['start only', { start: 9000 }, DATA.subarray(9000)],
  ['start and end (inclusive)', { start: 100, end: 199 }, DATA.subarray(100, 200)],
  ['the last byte', { start: 9999, end: 9999 }, DATA.subarray(9999)],
  ['the first byte', { start: 0, end: 0 }, DATA.subarray(0, 1)],
  ['an end past the size (clamped)', { start: 9990, end: 20_000 }, DATA.subarray(9990)],
  ['end only', { end: 9 }, DATA.subarray(0, 10)],
];

export const readStatCases: ConformanceCase[] = [
  ...RANGES.map(
    ([label, range, expected]): ConformanceCase => ({
      name: `range read: ${label}`,
      requires: (c) => c.read && c.write && c.rangeRead,
      async run({ path, write, read }) {
        await write(path('r.bin'), DATA);
        expect((await read(path('r.bin'), range)).equals(expected)).toBe(true);
      },
    }),
  ),
  {
    name: 'stat of a file: size, not a container, a modification time',
    requires: (c) => c.write && c.stat,
    async run({ path, write, accessor }) {
      const before = Date.now() - 120_000;
      await write(path('s.bin'), testBytes(4321));
      const info = await accessor.stat(path('s.bin'));
      expect(info.size).toBe(4321);
      expect(info.isContainer).toBe(false);
      if (info.modified) expect(info.modified.getTime()).toBeGreaterThan(before);
      expect(await accessor.isFile(path('s.bin'))).toBe(true);
      expect(await accessor.isContainer(path('s.bin'))).toBe(false);
    },
  },
  {
    name: 'stat of a container',
    requires: (c) => c.write && c.stat && c.containers !== 'implicit',
    async run({ path, accessor }) {
      await accessor.makeContainer(path('sub'));
      expect((await accessor.stat(path('sub'))).isContainer).toBe(true);
      expect(await accessor.isContainer(path('sub'))).toBe(true);
      expect(await accessor.isFile(path('sub'))).toBe(false);
    },
  },
  {
    name: 'a container with files is a container',
    requires: (c) => c.write && c.stat,
    async run({ path, write, accessor }) {
      await accessor.makeContainer(path('withfiles'));
      await write(path('withfiles', 'a.txt'), 'a');
      expect(await accessor.isContainer(path('withfiles'))).toBe(true);
      expect(await accessor.exists(path('withfiles'))).toBe(true);
    },
  },
  {
    name: 'native checksums from stat match the bytes',
    requires: (c) => c.write && c.stat && c.checksums.length > 0,
    async run({ path, write, accessor, capabilities }) {
      const data = testBytes(70_000, 'native');
      await write(path('n.bin'), data);
      const info = await accessor.stat(path('n.bin'));
      const { createHash } = await import('node:crypto');
      for (const algorithm of capabilities.checksums) {
        if (algorithm === 'md5' || algorithm === 'sha1' || algorithm === 'sha256') {
          expect(info.checksums?.[algorithm]).toBe(createHash(algorithm).update(data).digest('hex'));
        }
      }
    },
  },
  ...(
    [
      ['stat', (a, ri) => a.stat(ri)],
      ['createReadStream', (a, ri) => a.createReadStream(ri)],
      ['remove', (a, ri) => a.remove(ri)],
    ] as Array<[string, (accessor: Accessor, resourceIdentifier: string) => Promise<unknown>]>
  ).map(
    ([operation, call]): ConformanceCase => ({
      name: `${operation} of a missing file: AccessorResourceNotFoundError`,
      requires: (c) => c.read,
      async run({ path, accessor }) {
        await rejectsWith(call(accessor, path('missing.bin')), AccessorResourceNotFoundError);
      },
    }),
  ),
  {
    name: 'list of a missing container: AccessorResourceNotFoundError (or empty for implicit containers)',
    requires: (c) => c.list,
    async run({ path, accessor, capabilities }) {
      if (capabilities.containers === 'implicit')
        expect(await accessor.list(path('nothing-here'))).toEqual([]);
      else await rejectsWith(accessor.list(path('nothing-here')), AccessorResourceNotFoundError);
    },
  },
  {
    name: 'removeContainer of a missing container: AccessorResourceNotFoundError',
    requires: (c) => c.removeContainer && c.containers !== 'implicit',
    async run({ path, accessor }) {
      await rejectsWith(accessor.removeContainer(path('nothing-here')), AccessorResourceNotFoundError);
    },
  },
  {
    name: 'exists / isFile / isContainer / isSequence are false for missing resources',
    async run({ path, accessor }) {
      expect(await accessor.exists(path('nope'))).toBe(false);
      expect(await accessor.isFile(path('nope'))).toBe(false);
      expect(await accessor.isContainer(path('nope'))).toBe(false);
      if (accessor.capabilities.sequence)
        expect(await accessor.isSequence(path('nope.%04d.exr'))).toBe(false);
    },
  },
  {
    name: 'openRead: the bytes and the stat of a small file and of a multi-chunk one',
    requires: (c, options) => c.read && c.write && Boolean(options.openRead),
    async run({ path, write, accessor }) {
      for (const [name, data] of [
        ['small.bin', testBytes(5_000, 'open-small')],
        ['large.bin', testBytes(3 * 1024 * 1024 + 17, 'open-large')],
        ['empty.bin', Buffer.alloc(0)],
      ] as const) {
        await write(path(name), data);
        const opened = await accessor.openRead!(path(name));
        expect(opened.stat).toMatchObject({ size: data.length, isContainer: false });
        // `data`, where given, is what the stream yields (a copy may write it instead).
        if (opened.data) expect(Buffer.from(opened.data).equals(data)).toBe(true);
        expect((await readAll(opened.stream)).equals(data)).toBe(true);
      }
    },
  },
  {
    name: 'openRead of a missing file: AccessorResourceNotFoundError',
    requires: (c, options) => c.read && Boolean(options.openRead),
    async run({ path, accessor }) {
      await rejectsWith(accessor.openRead!(path('missing.bin')), AccessorResourceNotFoundError);
    },
  },
  {
    name: 'openRead of a container: AccessorResourceInvalidError',
    requires: (c, options) => c.read && c.containers !== 'implicit' && Boolean(options.openRead),
    async run({ path, accessor }) {
      await accessor.makeContainer(path('dir'));
      await rejectsWith(accessor.openRead!(path('dir')), AccessorResourceInvalidError);
    },
  },
  {
    name: 'reading a container: AccessorResourceInvalidError',
    requires: (c) => c.read && c.containers !== 'implicit',
    async run({ path, accessor }) {
      await accessor.makeContainer(path('dir'));
      await rejectsWith(accessor.createReadStream(path('dir')), AccessorResourceInvalidError);
    },
  },
  {
    name: 'listing a file: AccessorResourceInvalidError',
    requires: (c) => c.list && c.write && c.containers === 'real',
    async run({ path, write, accessor }) {
      await write(path('f.txt'), 'f');
      await rejectsWith(accessor.list(path('f.txt')), AccessorResourceInvalidError);
    },
  },
  {
    name: 'remove() of a container: AccessorResourceInvalidError',
    requires: (c) => c.write && c.containers !== 'implicit',
    async run({ path, accessor }) {
      await accessor.makeContainer(path('dir'));
      await rejectsWith(accessor.remove(path('dir')), AccessorResourceInvalidError);
      expect(await accessor.isContainer(path('dir'))).toBe(true);
    },
  },
  {
    name: 'removeContainer of a file: AccessorResourceInvalidError',
    requires: (c) => c.removeContainer && c.write && c.containers === 'real',
    async run({ path, write, accessor }) {
      await write(path('f.txt'), 'f');
      await rejectsWith(accessor.removeContainer(path('f.txt')), AccessorResourceInvalidError);
      expect(await accessor.exists(path('f.txt'))).toBe(true);
    },
  },
  {
    name: 'makeContainer over a file: AccessorResourceInvalidError',
    requires: (c) => c.write && c.containers === 'real',
    async run({ path, write, accessor }) {
      await write(path('f.txt'), 'f');
      await rejectsWith(accessor.makeContainer(path('f.txt')), AccessorResourceInvalidError);
    },
  },
  {
    name: 'exists is true for a file and for a container',
    requires: (c) => c.write,
    async run({ path, write, accessor }) {
      await write(path('here.txt'), 'h');
      await accessor.makeContainer(path('there'));
      await write(path('there', 'x.txt'), 'x');
      expect(await accessor.exists(path('here.txt'))).toBe(true);
      expect(await accessor.exists(path('there'))).toBe(true);
    },
  },
  {
    name: 'concurrent readers of one file see the same bytes',
    requires: (c) => c.read && c.write,
    async run({ path, write, read }) {
      const data = testBytes(1024 * 1024 + 3, 'readers');
      await write(path('shared.bin'), data);
      const copies = await Promise.all(Array.from({ length: 4 }, () => read(path('shared.bin'))));
      for (const copy of copies) expect(copy.equals(data)).toBe(true);
    },
  },
  {
    name: 'an overwrite with fewer bytes leaves no stale tail',
    requires: (c) => c.read && c.write,
    async run({ path, write, read }) {
      await write(path('t.bin'), testBytes(100_000, 'long'));
      await write(path('t.bin'), 'short');
      expect((await read(path('t.bin'))).toString()).toBe('short');
    },
  },
  {
    name: 'remove deletes a file',
    requires: (c) => c.write,
    async run({ path, write, accessor }) {
      await write(path('gone.txt'), 'bye');
      await accessor.remove(path('gone.txt'));
      expect(await accessor.exists(path('gone.txt'))).toBe(false);
      expect(await accessor.list(path())).toEqual([]);
    },
  },
  {
    name: 'getUrl matches capabilities.url',
    async run({ path, write, accessor, capabilities }) {
      if (capabilities.write) await write(path('u.txt'), 'u');
      if (capabilities.url === false) {
        await rejectsWith(accessor.getUrl(path('u.txt')), AccessorUnsupportedOperationError);
        return;
      }
      const url = new URL(await accessor.getUrl(path('u.txt')));
      expect(url.protocol).toBe(
        capabilities.url === 'file' ? 'file:' : url.protocol.startsWith('http') ? url.protocol : 'http:',
      );
    },
  },
  {
    name: 'getFilesystemPath matches capabilities.filesystemPath',
    async run({ path, write, accessor, capabilities }) {
      if (!capabilities.filesystemPath) {
        expect(() => accessor.getFilesystemPath(path('x'))).toThrow(AccessorUnsupportedOperationError);
        return;
      }
      await write(path('fs.txt'), 'on disk');
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(accessor.getFilesystemPath(path('fs.txt')), 'utf8')).toBe('on disk');
    },
  },
  {
    name: 'getContainer of the root: AccessorParentResourceNotFoundError',
    async run({ accessor }) {
      await rejectsWith(accessor.getContainer(''), AccessorParentResourceNotFoundError);
    },
  },
];
