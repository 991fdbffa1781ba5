import { Readable } from 'node:stream';
import {
  AccessorIntegrityError,
  AccessorParentResourceNotFoundError,
  AccessorResourceExistsError,
  StowageError,
} from '@stowage/core';
import { expect } from 'vitest';
import { type ConformanceCase, md5, rejectsWith, sha256, testBytes } from '../context.js';

const SIZES: Array<[string, number]> = [
  ['0 bytes', 0],
  ['1 byte', 1],
  ['1023 bytes', 1023],
  ['64 KiB', 64 * 1024],
  ['1 MiB + 1', 1024 * 1024 + 1],
  ['3 MiB + 17 (multi-chunk)', 3 * 1024 * 1024 + 17],
];

const NAMES = [
  'with space.txt',
  'ünïcödé.txt',
  'nfd-e\u0301.txt',
  '#hash.txt',
  '%percent%20.txt',
  "quote'.txt",
  'amp&semi;.txt',
  'plus+eq=.txt',
  'at@sign.txt',
  '[brackets].txt',
  '(parens){braces}.txt',
  '-leading-dash.txt',
  '日本語.txt',
  'emoji-🎞.txt',
  'dots...txt',
  '.hidden',
  'question?.txt',
  'tilde~comma,.txt',
];

const writable = (c: { read: boolean; write: boolean }) => c.read && c.write;

export const ioCases: ConformanceCase[] = [
  ...SIZES.map(
    ([label, size]): ConformanceCase => ({
      name: `write and read back ${label}`,
      requires: writable,
      async run({ path, write, read, accessor }) {
        const data = testBytes(size, label);
        await write(path('data.bin'), data);
        const back = await read(path('data.bin'));
        expect(back.length).toBe(size);
        expect(sha256(back)).toBe(sha256(data));
        expect((await accessor.stat(path('data.bin'))).size).toBe(size);
      },
    }),
  ),
  ...NAMES.map(
    (name): ConformanceCase => ({
      name: `awkward name ${JSON.stringify(name)}`,
      requires: writable,
      async run({ path, write, read, accessor }) {
        await write(path(name), `content of ${name}`);
        expect(await accessor.exists(path(name))).toBe(true);
        expect(await accessor.list(path())).toContain(path(name));
        expect((await read(path(name))).toString()).toBe(`content of ${name}`);
        await accessor.remove(path(name));
        expect(await accessor.exists(path(name))).toBe(false);
      },
    }),
  ),
  {
    name: 'long file name',
    requires: writable,
    async run({ path, write, read, capabilities }) {
      const name = `${'n'.repeat(Math.min(capabilities.maxNameLength, 255) - 4)}.txt`;
      await write(path(name), 'long');
      expect((await read(path(name))).toString()).toBe('long');
    },
  },
  {
    name: 'deep nesting (10 levels)',
    requires: writable,
    async run({ path, write, read, accessor }) {
      const levels = Array.from({ length: 10 }, (_, i) => `level${i}`);
      await accessor.makeContainer(path(...levels), true);
      await write(path(...levels, 'deep.txt'), 'deep');
      expect((await read(path(...levels, 'deep.txt'))).toString()).toBe('deep');
      expect(await accessor.list(path(...levels))).toEqual([path(...levels, 'deep.txt')]);
    },
  },
  ...(
    [
      ['a string', () => 'source'],
      ['a Uint8Array', () => new Uint8Array(Buffer.from('source'))],
      [
        'an async iterable',
        () =>
          (async function* () {
            yield Buffer.from('sou');
            yield Buffer.from('rce');
          })(),
      ],
      ['a Readable', () => Readable.from([Buffer.from('so'), Buffer.from('urce')])],
    ] as const
  ).map(
    ([label, make]): ConformanceCase => ({
      name: `write from ${label}`,
      requires: writable,
      async run({ path, write, read }) {
        await write(path('src.txt'), make());
        expect((await read(path('src.txt'))).toString()).toBe('source');
      },
    }),
  ),
  {
    name: 'overwrite replaces by default',
    requires: writable,
    async run({ path, write, read }) {
      await write(path('f.txt'), 'old bytes, longer');
      await write(path('f.txt'), 'new');
      expect((await read(path('f.txt'))).toString()).toBe('new');
    },
  },
  {
    name: 'overwrite false refuses an existing target and keeps its bytes',
    requires: writable,
    async run({ path, write, read, accessor }) {
      await write(path('f.txt'), 'precious');
      await rejectsWith(
        accessor.write(path('f.txt'), 'intruder', { overwrite: false }),
        AccessorResourceExistsError,
      );
      expect((await read(path('f.txt'))).toString()).toBe('precious');
      await write(path('g.txt'), 'fresh', { overwrite: false });
      expect((await read(path('g.txt'))).toString()).toBe('fresh');
    },
  },
  {
    name: 'overwrite false race: exactly one of 8 concurrent writers wins',
    requires: (c) => writable(c) && c.conditionalCreate,
    async run({ path, read, accessor }) {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          accessor.write(path('race.bin'), testBytes(200_000, `w${i}`), { overwrite: false }),
        ),
      );
      const winners = results.filter((result) => result.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(AccessorResourceExistsError);
      }
      const index = results.findIndex((result) => result.status === 'fulfilled');
      expect(sha256(await read(path('race.bin')))).toBe(sha256(testBytes(200_000, `w${index}`)));
    },
  },
  {
    name: '20 parallel writes of distinct files',
    requires: writable,
    async run({ path, read, accessor }) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          accessor.write(path(`p${i}.bin`), testBytes(50_000 + i, `p${i}`)),
        ),
      );
      expect(await accessor.list(path())).toHaveLength(20);
      for (let i = 0; i < 20; i += 7)
        expect(sha256(await read(path(`p${i}.bin`)))).toBe(sha256(testBytes(50_000 + i, `p${i}`)));
    },
  },
  {
    name: 'onProgress reports monotone byte counts ending at the size',
    requires: writable,
    async run({ path, accessor }) {
      const seen: number[] = [];
      const data = testBytes(2 * 1024 * 1024 + 5);
      await accessor.write(path('p.bin'), data, { onProgress: (bytes) => seen.push(bytes) });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.at(-1)).toBe(data.length);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    },
  },
  ...(['md5', 'sha256'] as const).map(
    (algorithm): ConformanceCase => ({
      name: `write returns the ${algorithm} it computed`,
      requires: writable,
      async run({ path, accessor }) {
        const data = testBytes(300_001, algorithm);
        const result = await accessor.write(path('c.bin'), data, { checksums: [algorithm] });
        expect(result.size).toBe(data.length);
        expect(result.checksums[algorithm]).toBe(algorithm === 'md5' ? md5(data) : sha256(data));
      },
    }),
  ),
  {
    name: 'expected size mismatch fails with AccessorIntegrityError and leaves nothing',
    requires: writable,
    async run({ path, accessor }) {
      await rejectsWith(
        accessor.write(path('s.bin'), testBytes(1000), { size: 999 }),
        AccessorIntegrityError,
      );
      expect(await accessor.exists(path('s.bin'))).toBe(false);
      expect(await accessor.list(path())).toEqual([]);
    },
  },
  {
    name: 'expected checksum mismatch fails with AccessorIntegrityError and leaves nothing',
    requires: writable,
    async run({ path, accessor }) {
      const data = testBytes(5000);
      await rejectsWith(
        accessor.write(path('m.bin'), data, {
          checksum: { algorithm: 'md5', value: md5(Buffer.from('other')) },
        }),
        AccessorIntegrityError,
      );
      expect(await accessor.exists(path('m.bin'))).toBe(false);
      await accessor.write(path('m.bin'), data, { checksum: { algorithm: 'md5', value: md5(data) } });
      expect(await accessor.exists(path('m.bin'))).toBe(true);
    },
  },
  {
    name: 'a source that fails halfway leaves nothing at the target',
    requires: (c) => writable(c) && c.atomicWrite,
    async run({ path, accessor }) {
      async function* failing() {
        yield testBytes(512 * 1024, 'a');
        yield testBytes(512 * 1024, 'b');
        throw new Error('source broke');
      }
      await expect(accessor.write(path('broken.bin'), failing())).rejects.toThrow();
      expect(await accessor.exists(path('broken.bin'))).toBe(false);
      expect(await accessor.list(path())).toEqual([]);
    },
  },
  {
    name: 'an aborted write leaves nothing at the target',
    requires: (c) => writable(c) && c.atomicWrite,
    async run({ path, accessor }) {
      const controller = new AbortController();
      async function* slow() {
        for (let i = 0; i < 64; i++) {
          if (i === 3) controller.abort();
          yield testBytes(64 * 1024, `s${i}`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
      const error = await accessor
        .write(path('aborted.bin'), slow(), { signal: controller.signal })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(await accessor.exists(path('aborted.bin'))).toBe(false);
      expect(await accessor.list(path())).toEqual([]);
    },
  },
  {
    name: 'an aborted write of bytes in hand: refused before it starts, all or nothing after',
    requires: (c) => writable(c) && c.atomicWrite,
    async run({ path, accessor }) {
      const data = testBytes(4 * 1024 * 1024 + 3, 'in-hand');
      const before = new AbortController();
      before.abort();
      await expect(accessor.write(path('early.bin'), data, { signal: before.signal })).rejects.toThrow();
      expect(await accessor.exists(path('early.bin'))).toBe(false);
      // Aborted in flight: either it failed and left nothing, or it had finished whole.
      const during = new AbortController();
      const writing = accessor.write(path('late.bin'), data, { signal: during.signal, size: data.length });
      setImmediate(() => during.abort());
      const outcome = await writing.then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (outcome.ok) {
        expect(outcome.result.size).toBe(data.length);
        expect((await accessor.stat(path('late.bin'))).size).toBe(data.length);
        await accessor.remove(path('late.bin'));
      } else {
        expect(outcome.error).toBeInstanceOf(Error);
      }
      expect(await accessor.list(path())).toEqual([]);
    },
  },
  {
    name: 'writing into a missing container',
    requires: writable,
    async run({ path, accessor, capabilities }) {
      if (capabilities.containers === 'implicit') {
        await accessor.write(path('missing', 'f.txt'), 'x');
        expect(await accessor.exists(path('missing', 'f.txt'))).toBe(true);
      } else {
        await rejectsWith(accessor.write(path('missing', 'f.txt'), 'x'), AccessorParentResourceNotFoundError);
      }
    },
  },
  {
    name: 'writing to the root identifier fails',
    requires: writable,
    async run({ accessor }) {
      await rejectsWith(accessor.write('', 'x'), StowageError);
    },
  },
];
