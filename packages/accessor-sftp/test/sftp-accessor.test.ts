import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AccessorContainerNotEmptyError,
  AccessorIntegrityError,
  AccessorParentResourceNotFoundError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
  OperationAbortedError,
  readAll,
} from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SftpAccessor } from '../src/index.js';
import { isolatedAccessor, localNames } from './helpers.js';

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

// The same ssh2 module instance the accessor uses.
const { SFTP } = createRequire(import.meta.url)('ssh2/lib/protocol/SFTP.js') as {
  SFTP: { prototype: { realpath: (...args: unknown[]) => unknown } };
};

/** Count the REALPATH requests sent while `run` runs. */
async function countRealpaths(run: (counted: () => number) => Promise<void>): Promise<void> {
  const original = SFTP.prototype.realpath;
  let count = 0;
  SFTP.prototype.realpath = function (this: unknown, ...args: unknown[]) {
    count++;
    return original.apply(this, args);
  };
  try {
    await run(() => count);
  } finally {
    SFTP.prototype.realpath = original;
  }
}

/** A source that yields `count` chunks of `size` bytes (filled with `fill`, else random), with a pause between. */
function chunkedSource(count: number, size: number, fill?: string): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === count) return this.push(null);
      sent++;
      setTimeout(() => this.push(fill === undefined ? randomBytes(size) : Buffer.alloc(size, fill)), 1);
    },
  });
}

describe('SftpAccessor on OpenSSH', () => {
  let accessor: SftpAccessor;
  let localPath: string;

  beforeAll(() => {
    ({ accessor, localPath } = isolatedAccessor());
  });
  afterAll(async () => {
    await accessor.close();
  });

  it('creates its folder on first use and starts empty', async () => {
    expect(await accessor.list('')).toEqual([]);
    expect(statSync(localPath).isDirectory()).toBe(true);
    expect(await accessor.isContainer('')).toBe(true);
  });

  describe('files', () => {
    it('writes, stats and reads back a multi-chunk file intact', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const result = await accessor
        .write('files/blob.bin', data, { checksums: ['md5', 'sha256'] })
        .catch(async (error) => {
          // The parent is missing: writes do not create it.
          expect(error).toBeInstanceOf(AccessorParentResourceNotFoundError);
          await accessor.makeContainer('files');
          return accessor.write('files/blob.bin', data, { checksums: ['md5', 'sha256'] });
        });
      expect(result.size).toBe(data.length);
      expect(result.checksums.md5).toBe(md5(data));
      expect(result.checksums.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      const stat = await accessor.stat('files/blob.bin');
      expect(stat).toMatchObject({ size: data.length, isContainer: false });
      expect(stat.modified).toBeInstanceOf(Date);
      expect(readFileSync(join(localPath, 'files/blob.bin')).equals(data)).toBe(true);
      expect((await readAll(await accessor.createReadStream('files/blob.bin'))).equals(data)).toBe(true);
      expect(await accessor.isFile('files/blob.bin')).toBe(true);
      expect(await accessor.isContainer('files/blob.bin')).toBe(false);
      expect(await accessor.exists('files/nothing')).toBe(false);
    });

    it('reads byte ranges (inclusive end), clamped to the file', async () => {
      const data = randomBytes(1_000_000);
      await accessor.makeContainer('ranges');
      await accessor.write('ranges/r.bin', data);
      const range = async (start?: number, end?: number) =>
        readAll(await accessor.createReadStream('ranges/r.bin', { start, end }));
      expect((await range(10, 19)).equals(data.subarray(10, 20))).toBe(true);
      expect((await range(999_990)).equals(data.subarray(999_990))).toBe(true);
      expect((await range(0, 0)).equals(data.subarray(0, 1))).toBe(true);
      expect((await range(500_000, 5_000_000)).equals(data.subarray(500_000))).toBe(true);
      expect((await range(2_000_000)).length).toBe(0);
      // A range that spans many pipelined requests.
      expect((await range(123_456, 876_543)).equals(data.subarray(123_456, 876_544))).toBe(true);
    });

    it('writes empty files and any WriteSource kind', async () => {
      await accessor.makeContainer('sources');
      expect((await accessor.write('sources/empty', Buffer.alloc(0))).size).toBe(0);
      expect((await accessor.stat('sources/empty')).size).toBe(0);
      expect((await readAll(await accessor.createReadStream('sources/empty'))).length).toBe(0);
      await accessor.write('sources/string', 'héllo');
      expect(readFileSync(join(localPath, 'sources/string'), 'utf8')).toBe('héllo');
      async function* generate() {
        for (let index = 0; index < 100; index++) yield Buffer.alloc(1000, index);
      }
      expect((await accessor.write('sources/iterable', generate())).size).toBe(100_000);
      // Many tiny chunks are merged into full requests.
      const tiny = Readable.from(Array.from({ length: 5000 }, (_, index) => Buffer.from([index % 256])));
      const result = await accessor.write('sources/tiny', tiny, { checksums: ['md5'] });
      expect(result.size).toBe(5000);
      expect(md5(readFileSync(join(localPath, 'sources/tiny')))).toBe(result.checksums.md5);
    });

    it('replaces an existing file atomically by default, refuses with overwrite: false', async () => {
      await accessor.makeContainer('replace');
      await accessor.write('replace/f', 'first');
      await accessor.write('replace/f', 'second version');
      expect(readFileSync(join(localPath, 'replace/f'), 'utf8')).toBe('second version');
      await expect(accessor.write('replace/f', 'third', { overwrite: false })).rejects.toBeInstanceOf(
        AccessorResourceExistsError,
      );
      expect(readFileSync(join(localPath, 'replace/f'), 'utf8')).toBe('second version');
      await accessor.write('replace/new', 'created', { overwrite: false });
      expect(readFileSync(join(localPath, 'replace/new'), 'utf8')).toBe('created');
      expect(localNames(join(localPath, 'replace'))).toEqual(['f', 'new']);
    });

    it('small writes of a known size (no early lstat) refuse an existing file or a folder at publish', async () => {
      await accessor.makeContainer('small/dir');
      await accessor.write('small/f', 'first', { size: 5 });
      for (const overwrite of [false, true])
        await expect(accessor.write('small/dir', 'data', { size: 4, overwrite })).rejects.toBeInstanceOf(
          AccessorResourceInvalidError,
        );
      await expect(accessor.write('small/f', 'third', { size: 5, overwrite: false })).rejects.toBeInstanceOf(
        AccessorResourceExistsError,
      );
      expect(readFileSync(join(localPath, 'small/f'), 'utf8')).toBe('first');
      await accessor.write('small/f', 'second', { size: 6 });
      expect(readFileSync(join(localPath, 'small/f'), 'utf8')).toBe('second');
      expect(localNames(join(localPath, 'small'))).toEqual(['dir', 'f']);
      expect(localNames(join(localPath, 'small/dir'))).toEqual([]);
    });

    it('publishes only one of two racing create-only writes', async () => {
      await accessor.makeContainer('race');
      const results = await Promise.allSettled(
        ['a', 'b', 'c', 'd'].map((tag) =>
          accessor.write('race/once', chunkedSource(8, 4096, tag), { overwrite: false }),
        ),
      );
      const fulfilled = results.filter((result) => result.status === 'fulfilled');
      expect(fulfilled).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(AccessorResourceExistsError);
      }
      const content = readFileSync(join(localPath, 'race/once'));
      expect(content.length).toBe(8 * 4096);
      expect(new Set(content).size).toBe(1);
      expect(localNames(join(localPath, 'race'))).toEqual(['once']);
    });

    it('fails on a size or checksum mismatch and leaves nothing behind', async () => {
      await accessor.makeContainer('integrity');
      await expect(accessor.write('integrity/f', 'abc', { size: 4 })).rejects.toBeInstanceOf(
        AccessorIntegrityError,
      );
      await expect(
        accessor.write('integrity/f', 'abc', {
          checksum: { algorithm: 'md5', value: md5(Buffer.from('abd')) },
        }),
      ).rejects.toBeInstanceOf(AccessorIntegrityError);
      expect(localNames(join(localPath, 'integrity'))).toEqual([]);
      // A failed replacement keeps the old content.
      await accessor.write('integrity/g', 'old');
      await expect(accessor.write('integrity/g', 'new!', { size: 3 })).rejects.toBeInstanceOf(
        AccessorIntegrityError,
      );
      expect(readFileSync(join(localPath, 'integrity/g'), 'utf8')).toBe('old');
      expect(localNames(join(localPath, 'integrity'))).toEqual(['g']);
      await accessor.write('integrity/h', 'abc', {
        size: 3,
        checksum: { algorithm: 'md5', value: md5(Buffer.from('abc')) },
      });
      expect(readFileSync(join(localPath, 'integrity/h'), 'utf8')).toBe('abc');
    });

    it('removes the temp file when the source fails mid-stream', async () => {
      await accessor.makeContainer('source-error');
      let sent = 0;
      const failing = new Readable({
        read() {
          if (sent++ < 20) this.push(randomBytes(64 * 1024));
          else this.destroy(new Error('source broke'));
        },
      });
      await expect(accessor.write('source-error/f', failing)).rejects.toThrow(/source broke/);
      expect(localNames(join(localPath, 'source-error'))).toEqual([]);
    });

    it('aborts a write through its signal, leaving neither target nor temp file', async () => {
      await accessor.makeContainer('abort');
      const controller = new AbortController();
      const progress: number[] = [];
      const writing = accessor.write('abort/f', chunkedSource(10_000, 64 * 1024), {
        signal: controller.signal,
        onProgress: (bytes) => {
          progress.push(bytes);
          if (bytes > 2 * 1024 * 1024) controller.abort();
        },
      });
      await expect(writing).rejects.toBeInstanceOf(OperationAbortedError);
      expect(progress.length).toBeGreaterThan(0);
      expect(localNames(join(localPath, 'abort'))).toEqual([]);
      await expect(accessor.write('abort/g', 'x', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
        OperationAbortedError,
      );
      expect(localNames(join(localPath, 'abort'))).toEqual([]);
      // Bytes in hand are sent without a stream; the signal still ends the write.
      const inHand = new AbortController();
      const acknowledged: number[] = [];
      await expect(
        accessor.write('abort/h', randomBytes(8 * 1024 * 1024), {
          signal: inHand.signal,
          onProgress: (bytes) => {
            acknowledged.push(bytes);
            inHand.abort();
          },
        }),
      ).rejects.toBeInstanceOf(OperationAbortedError);
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(localNames(join(localPath, 'abort'))).toEqual([]);
    });

    it('aborts a read stream through its signal', async () => {
      await accessor.makeContainer('abort-read');
      await accessor.write('abort-read/f', randomBytes(4 * 1024 * 1024));
      const controller = new AbortController();
      const stream = await accessor.createReadStream('abort-read/f', { signal: controller.signal });
      let received = 0;
      await expect(
        (async () => {
          for await (const chunk of stream) {
            received += chunk.length;
            if (received > 256 * 1024) controller.abort();
          }
        })(),
      ).rejects.toBeInstanceOf(OperationAbortedError);
      expect(received).toBeLessThan(4 * 1024 * 1024);
      await expect(
        accessor.createReadStream('abort-read/f', { signal: AbortSignal.abort() }),
      ).rejects.toBeInstanceOf(OperationAbortedError);
    });

    it('reports progress as the server acknowledges bytes, up to the size', async () => {
      await accessor.makeContainer('progress');
      const progress: number[] = [];
      const data = randomBytes(2 * 1024 * 1024 + 5);
      await accessor.write('progress/f', data, { onProgress: (bytes) => progress.push(bytes) });
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.every((value, index) => index === 0 || value > progress[index - 1]!)).toBe(true);
      expect(progress.at(-1)).toBe(data.length);
    });

    it('hides the temp names of writes in progress from list', async () => {
      await accessor.makeContainer('in-progress');
      const controller = new AbortController();
      let listed: string[] = [];
      let tempSeen = false;
      const writing = accessor.write('in-progress/f', chunkedSource(10_000, 64 * 1024), {
        signal: controller.signal,
        onProgress: () => {
          if (tempSeen) return;
          tempSeen = localNames(join(localPath, 'in-progress')).some((name) => name.startsWith('.stowage-'));
          if (tempSeen) {
            void accessor.list('in-progress').then((names) => {
              listed = names;
              controller.abort();
            });
          }
        },
      });
      await expect(writing).rejects.toBeInstanceOf(OperationAbortedError);
      expect(tempSeen).toBe(true);
      expect(listed).toEqual([]);
    });

    it('maps errors to typed errors', async () => {
      await accessor.makeContainer('errors/dir');
      await accessor.write('errors/file', 'x');
      await expect(accessor.stat('errors/missing')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
      await expect(accessor.createReadStream('errors/missing')).rejects.toBeInstanceOf(
        AccessorResourceNotFoundError,
      );
      await expect(accessor.createReadStream('errors/dir')).rejects.toBeInstanceOf(
        AccessorResourceInvalidError,
      );
      await expect(accessor.list('errors/file')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
      await expect(accessor.list('errors/missing')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
      await expect(accessor.remove('errors/dir')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
      await expect(accessor.remove('errors/missing')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
      await expect(accessor.remove('')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
      await expect(accessor.write('errors/dir', 'x')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
      await expect(accessor.write('', 'x')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
      await expect(accessor.write('errors/missing/f', 'x')).rejects.toBeInstanceOf(
        AccessorParentResourceNotFoundError,
      );
      await expect(accessor.makeContainer('errors/file')).rejects.toBeInstanceOf(
        AccessorResourceInvalidError,
      );
      await expect(accessor.removeContainer('errors/file')).rejects.toBeInstanceOf(
        AccessorResourceInvalidError,
      );
      await expect(accessor.removeContainer('errors/missing')).rejects.toBeInstanceOf(
        AccessorResourceNotFoundError,
      );
      expect(() => accessor.getFilesystemPath('errors/file')).toThrow(AccessorUnsupportedOperationError);
      const error = await accessor.stat('errors/missing').catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        operation: 'stat',
        resourceIdentifier: 'errors/missing',
        transient: false,
      });
    });

    it('maps the server refusing access to AccessorPermissionDeniedError', async () => {
      await accessor.makeContainer('locked');
      // The server runs as the sftp account; a root-owned 0755 directory is read-only to it.
      const locked = join(localPath, 'locked');
      chownSync(locked, 0, 0);
      chmodSync(locked, 0o755);
      await expect(accessor.write('locked/f', 'x')).rejects.toBeInstanceOf(AccessorPermissionDeniedError);
      await expect(accessor.makeContainer('locked/sub')).rejects.toBeInstanceOf(
        AccessorPermissionDeniedError,
      );
      expect(localNames(locked)).toEqual([]);
    });
  });

  describe('containers', () => {
    it('makes containers recursively, or only under an existing parent', async () => {
      await accessor.makeContainer('tree/a/b/c');
      expect(statSync(join(localPath, 'tree/a/b/c')).isDirectory()).toBe(true);
      await accessor.makeContainer('tree/a/b/c');
      await expect(accessor.makeContainer('tree/x/y', false)).rejects.toBeInstanceOf(
        AccessorParentResourceNotFoundError,
      );
      await accessor.makeContainer('tree/x', false);
      expect(await accessor.list('tree')).toEqual(['tree/a', 'tree/x']);
      expect(await accessor.stat('tree/a')).toMatchObject({ isContainer: true, size: 0 });
      expect(await accessor.getContainer('tree/a/b')).toBe('tree/a');
    });

    it('removes empty containers, refuses non-empty ones unless recursive', async () => {
      await accessor.makeContainer('rm/full/deep/er');
      await accessor.write('rm/full/deep/f1', 'x');
      await accessor.write('rm/full/f2', 'y');
      await accessor.makeContainer('rm/empty');
      await accessor.removeContainer('rm/empty');
      expect(existsSync(join(localPath, 'rm/empty'))).toBe(false);
      await expect(accessor.removeContainer('rm/full')).rejects.toBeInstanceOf(
        AccessorContainerNotEmptyError,
      );
      expect(existsSync(join(localPath, 'rm/full/f2'))).toBe(true);
      await accessor.removeContainer('rm/full', { recursive: true });
      expect(localNames(join(localPath, 'rm'))).toEqual([]);
    });

    it('removes wide trees recursively', async () => {
      await accessor.makeContainer('wide/sub');
      await Promise.all(
        Array.from({ length: 150 }, (_, index) => accessor.write(`wide/f${index}`, String(index))),
      );
      await Promise.all(
        Array.from({ length: 40 }, (_, index) => accessor.write(`wide/sub/g${index}`, String(index))),
      );
      expect(await accessor.list('wide')).toHaveLength(151);
      await accessor.removeContainer('wide', { recursive: true });
      expect(await accessor.exists('wide')).toBe(false);
    });

    it('finds sequences by their frames', async () => {
      await accessor.makeContainer('seq');
      for (const frame of [1, 2, 10])
        await accessor.write(`seq/shot.${String(frame).padStart(4, '0')}.exr`, 'frame');
      expect(await accessor.isSequence('seq/shot.%04d.exr')).toBe(true);
      expect(await accessor.isSequence('seq/other.%04d.exr')).toBe(false);
      expect(await accessor.isSequence('missing/shot.%04d.exr')).toBe(false);
      expect(await accessor.isSequence('seq/shot.0001.exr')).toBe(false);
    });
  });

  describe('copy', () => {
    it('copies on the server, replacing or create-only', async () => {
      await accessor.makeContainer('copy');
      const data = randomBytes(1_500_000);
      await accessor.write('copy/source', data);
      const result = await accessor.copy('copy/source', 'copy/target');
      expect(result.size).toBe(data.length);
      expect(readFileSync(join(localPath, 'copy/target')).equals(data)).toBe(true);
      await expect(accessor.copy('copy/source', 'copy/target', { overwrite: false })).rejects.toBeInstanceOf(
        AccessorResourceExistsError,
      );
      await expect(accessor.copy('copy/missing', 'copy/other')).rejects.toBeInstanceOf(
        AccessorResourceNotFoundError,
      );
      await expect(accessor.copy('copy/source', 'copy/no/where')).rejects.toBeInstanceOf(
        AccessorParentResourceNotFoundError,
      );
      expect(localNames(join(localPath, 'copy'))).toEqual(['source', 'target']);
    });
  });

  describe('confinement', () => {
    let outside: string;

    beforeAll(async () => {
      outside = join(tmpdir(), `stowage-sftp-outside-${randomBytes(4).toString('hex')}`);
      mkdirSync(outside, { mode: 0o777 });
      chmodSync(outside, 0o777);
      writeFileSync(join(outside, 'secret.txt'), 'secret');
      chmodSync(join(outside, 'secret.txt'), 0o666);
      await accessor.makeContainer('links/inside-target');
      await accessor.write('links/inside-target/f', 'inside');
      symlinkSync(outside, join(localPath, 'links/out-dir'));
      symlinkSync(join(outside, 'secret.txt'), join(localPath, 'links/out-file'));
      symlinkSync(join(outside, 'not-yet'), join(localPath, 'links/out-dangling'));
      // A directory the server account may not even look into.
      mkdirSync(join(outside, 'private'), { mode: 0o700 });
      writeFileSync(join(outside, 'private/key'), 'key');
      symlinkSync(join(outside, 'private'), join(localPath, 'links/out-private'));
      symlinkSync('inside-target', join(localPath, 'links/in-dir'));
      symlinkSync('inside-target/f', join(localPath, 'links/in-file'));
    });
    afterAll(() => rmSync(outside, { recursive: true, force: true }));

    it('rejects malformed identifiers and ones that climb out', async () => {
      for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'a/./b', 'a\\b', 'a\u0000b']) {
        await expect(accessor.stat(bad)).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
        await expect(accessor.write(bad, 'x')).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
        await expect(accessor.list(bad)).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
      }
    });

    it('refuses to follow symbolic links that lead outside the root', async () => {
      const escapes = [
        () => accessor.stat('links/out-file'),
        () => accessor.createReadStream('links/out-file'),
        () => accessor.list('links/out-dir'),
        () => accessor.stat('links/out-dir/secret.txt'),
        () => accessor.createReadStream('links/out-dir/secret.txt'),
        () => accessor.write('links/out-dir/new.txt', 'x'),
        () => accessor.write('links/out-dir/secret.txt', 'overwritten'),
        () => accessor.makeContainer('links/out-dir/sub'),
        () => accessor.makeContainer('links/out-dangling'),
        () => accessor.createReadStream('links/out-private/key'),
        () => accessor.stat('links/out-private/key'),
        () => accessor.write('links/out-private/new', 'x'),
        () => accessor.remove('links/out-dir/secret.txt'),
        () => accessor.removeContainer('links/out-dir', { recursive: true }),
        () => accessor.copy('links/out-file', 'links/copied'),
        () => accessor.copy('links/inside-target/f', 'links/out-dir/copied'),
      ];
      for (const attempt of escapes)
        await expect(attempt()).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
      expect(localNames(outside)).toEqual(['private', 'secret.txt']);
      expect(localNames(join(outside, 'private'))).toEqual(['key']);
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    });

    it('follows links that stay inside the root', async () => {
      expect(await accessor.list('links/in-dir')).toEqual(['links/in-dir/f']);
      expect((await readAll(await accessor.createReadStream('links/in-file'))).toString()).toBe('inside');
      expect(await accessor.stat('links/in-file')).toMatchObject({ size: 6, isContainer: false });
    });

    it('removes a link itself, never what it points to', async () => {
      symlinkSync(join(outside, 'secret.txt'), join(localPath, 'links/to-remove'));
      await accessor.remove('links/to-remove');
      expect(existsSync(join(localPath, 'links/to-remove'))).toBe(false);
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
      // A write replaces a link by a file instead of writing through it.
      symlinkSync(join(outside, 'secret.txt'), join(localPath, 'links/replaced'));
      await accessor.write('links/replaced', 'mine');
      expect(readFileSync(join(localPath, 'links/replaced'), 'utf8')).toBe('mine');
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    });

    it('unlinks links inside a recursively removed container without following them', async () => {
      await accessor.makeContainer('links/tree/sub');
      symlinkSync(outside, join(localPath, 'links/tree/sub/out'));
      await accessor.removeContainer('links/tree', { recursive: true });
      expect(existsSync(join(localPath, 'links/tree'))).toBe(false);
      expect(localNames(outside)).toEqual(['private', 'secret.txt']);
    });

    it('trusts a folder found inside for confinementCacheMs, and refuses it once it leads out', async () => {
      const { accessor: cached, localPath: local } = isolatedAccessor({ confinementCacheMs: 400 });
      const { accessor: uncached } = isolatedAccessor({ confinementCacheMs: 0 });
      try {
        await cached.makeContainer('');
        await cached.makeContainer('burst');
        await uncached.makeContainer('');
        await uncached.makeContainer('burst');
        await countRealpaths(async (counted) => {
          for (let i = 0; i < 5; i++) await cached.write(`burst/f${i}`, 'x');
          expect(counted()).toBe(1);
          for (let i = 0; i < 5; i++) await uncached.write(`burst/f${i}`, 'x');
          expect(counted()).toBe(6);
        });
        // The folder is swapped for a link out of the root: refused once the time is up.
        renameSync(join(local, 'burst'), join(local, 'burst-moved'));
        symlinkSync(outside, join(local, 'burst'));
        await new Promise((resolve) => setTimeout(resolve, 450));
        await expect(cached.write('burst/late', 'x')).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
        expect(localNames(outside)).toEqual(['private', 'secret.txt']);
      } finally {
        await cached.close();
        await uncached.close();
      }
    });

    it('forgets every trusted folder when a container is removed', async () => {
      const { accessor: cached, localPath: local } = isolatedAccessor({ confinementCacheMs: 60_000 });
      try {
        await cached.makeContainer('');
        await cached.makeContainer('gone');
        await cached.write('gone/a', 'x');
        await cached.removeContainer('gone', { recursive: true });
        symlinkSync(outside, join(local, 'gone'));
        await expect(cached.write('gone/b', 'x')).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
        expect(localNames(outside)).toEqual(['private', 'secret.txt']);
      } finally {
        await cached.close();
      }
    });

    it('can be turned off for servers that confine users themselves', async () => {
      const { accessor: unconfined, folder } = isolatedAccessor({ confineSymlinks: false });
      try {
        await unconfined.makeContainer('');
        const local = join(process.env.STOWAGE_SFTP_DATA_ROOT!, folder);
        mkdirSync(local, { recursive: true });
        symlinkSync(join(outside, 'secret.txt'), join(local, 'out-file'));
        expect((await readAll(await unconfined.createReadStream('out-file'))).toString()).toBe('secret');
      } finally {
        await unconfined.close();
      }
    });
  });
});
