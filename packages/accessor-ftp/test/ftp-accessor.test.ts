import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AccessorContainerNotEmptyError,
  AccessorIntegrityError,
  AccessorOperationFailedError,
  AccessorParentResourceNotFoundError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  OperationAbortedError,
  readAll,
} from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpAccessor } from '../src/index.js';
import { connectionOptions, isolatedAccessor, serverEnv, TARGETS } from './servers.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A source that yields `chunks` buffers of `size` bytes, pausing between them. */
function slowSource(chunks: number, size: number, pauseMs = 5): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === chunks) return this.push(null);
      sent++;
      setTimeout(() => this.push(randomBytes(size)), pauseMs);
    },
  });
}

describe.each(TARGETS)('FtpAccessor against $label', ({ server, secure }) => {
  let accessor: FtpAccessor;
  let localRoot: string;

  beforeAll(async () => {
    const isolated = await isolatedAccessor(server, secure, { poolSize: 3 });
    accessor = isolated.accessor;
    localRoot = join(serverEnv(server).root, isolated.directory);
  });
  afterAll(async () => {
    await accessor?.close();
  });

  /** Names in a local directory that look like our upload temp files. */
  const leftovers = (directory = '') =>
    readdirSync(join(localRoot, directory)).filter((name) => name.startsWith('.stowage-'));

  it('writes atomically and reads back, with checksums and a UTF-8 name', async () => {
    const data = randomBytes(300_000);
    await accessor.makeContainer('café/ünï');
    const progress: number[] = [];
    const result = await accessor.write('café/ünï/plate 01 ✓.exr', Readable.from([data]), {
      size: data.length,
      checksum: { algorithm: 'sha256', value: sha256(data) },
      checksums: ['md5'],
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(result.size).toBe(data.length);
    expect(result.checksums.sha256).toBe(sha256(data));
    expect(result.checksums.md5).toBe(createHash('md5').update(data).digest('hex'));
    expect(progress.at(-1)).toBe(data.length);
    const read = await readAll(await accessor.createReadStream('café/ünï/plate 01 ✓.exr'));
    expect(read.equals(data)).toBe(true);
    // The server stored the bytes under the same UTF-8 name on disk.
    expect(readFileSync(join(localRoot, 'café/ünï/plate 01 ✓.exr')).equals(data)).toBe(true);
    const stat = await accessor.stat('café/ünï/plate 01 ✓.exr');
    expect(stat).toMatchObject({ size: data.length, isContainer: false });
    expect(stat.modified).toBeInstanceOf(Date);
    expect(Math.abs(stat.modified!.getTime() - Date.now())).toBeLessThan(5 * 60_000);
    expect(await accessor.list('café/ünï')).toEqual(['café/ünï/plate 01 ✓.exr']);
    expect(leftovers('café/ünï')).toEqual([]);
  });

  it('writes and reads empty files', async () => {
    for (const source of ['', Readable.from([]), new Uint8Array(0)]) {
      const result = await accessor.write('empty.bin', source, { size: 0 });
      expect(result.size).toBe(0);
      expect((await readAll(await accessor.createReadStream('empty.bin'))).length).toBe(0);
      expect(await accessor.stat('empty.bin')).toMatchObject({ size: 0, isContainer: false });
    }
  });

  it('reads byte ranges with REST, before and near the end', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 17);
    await accessor.write('range.bin', data);
    const range = async (start?: number, end?: number) =>
      readAll(await accessor.createReadStream('range.bin', { start, end }));
    expect((await range(5)).equals(data.subarray(5))).toBe(true);
    expect((await range(0, 9)).equals(data.subarray(0, 10))).toBe(true);
    expect((await range(1000, 1_001_000)).equals(data.subarray(1000, 1_001_001))).toBe(true);
    expect(
      (await range(data.length - 100, data.length + 1000)).equals(data.subarray(data.length - 100)),
    ).toBe(true);
    expect((await range(data.length + 5)).length).toBe(0);
    expect((await range(10, 5)).length).toBe(0);
    // Stopping early closed connections; the pool replaces them.
    const reads = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((index) => range(index * 1000, index * 1000 + 99)),
    );
    for (const [index, read] of reads.entries()) {
      expect(read.equals(data.subarray(index * 1000, index * 1000 + 100))).toBe(true);
    }
  });

  it('replaces by default and refuses an existing target with overwrite: false', async () => {
    await accessor.write('over.txt', 'first');
    await accessor.write('over.txt', 'second, longer');
    expect((await readAll(await accessor.createReadStream('over.txt'))).toString()).toBe('second, longer');
    await expect(accessor.write('over.txt', 'third', { overwrite: false })).rejects.toBeInstanceOf(
      AccessorResourceExistsError,
    );
    expect((await readAll(await accessor.createReadStream('over.txt'))).toString()).toBe('second, longer');
    await accessor.write('fresh.txt', 'new', { overwrite: false });
    expect((await readAll(await accessor.createReadStream('fresh.txt'))).toString()).toBe('new');
    expect(leftovers()).toEqual([]);
  });

  it('publishes nothing when the size or checksum does not match', async () => {
    const data = randomBytes(10_000);
    await expect(accessor.write('bad-size.bin', data, { size: data.length + 1 })).rejects.toBeInstanceOf(
      AccessorIntegrityError,
    );
    await expect(
      accessor.write('bad-sum.bin', data, {
        checksum: { algorithm: 'sha256', value: sha256(Buffer.from('other')) },
      }),
    ).rejects.toBeInstanceOf(AccessorIntegrityError);
    expect(await accessor.exists('bad-size.bin')).toBe(false);
    expect(await accessor.exists('bad-sum.bin')).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('maps missing parents, containers and missing files to typed errors', async () => {
    await expect(accessor.write('no/such/dir/file', 'x')).rejects.toBeInstanceOf(
      AccessorParentResourceNotFoundError,
    );
    await accessor.makeContainer('a-dir');
    await expect(accessor.write('a-dir', 'x')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
    await expect(accessor.createReadStream('a-dir')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
    await expect(accessor.createReadStream('missing')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    await expect(accessor.stat('missing')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    await expect(accessor.list('missing')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    await accessor.write('a-file', 'x');
    await expect(accessor.list('a-file')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
    await expect(accessor.write('a-file/child', 'x')).rejects.toBeInstanceOf(
      AccessorParentResourceNotFoundError,
    );
    await expect(accessor.remove('missing')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    await expect(accessor.remove('a-dir')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
    await expect(accessor.remove('')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
    expect(await accessor.isFile('a-file')).toBe(true);
    expect(await accessor.isContainer('a-dir')).toBe(true);
    expect(await accessor.exists('missing')).toBe(false);
    await accessor.remove('a-file');
    expect(await accessor.exists('a-file')).toBe(false);
  });

  it('makes and removes containers', async () => {
    await accessor.makeContainer('tree/a/b/c');
    await accessor.makeContainer('tree/a/b/c'); // already there: fine
    await accessor.makeContainer('tree/a', false);
    await expect(accessor.makeContainer('tree/x/y', false)).rejects.toBeInstanceOf(
      AccessorParentResourceNotFoundError,
    );
    await accessor.write('tree/a/b/c/.hidden', 'dot');
    await accessor.write('tree/a/file', 'f');
    await expect(accessor.makeContainer('tree/a/file')).rejects.toBeInstanceOf(AccessorResourceInvalidError);
    expect(await accessor.list('tree/a')).toEqual(['tree/a/b', 'tree/a/file']);
    await expect(accessor.removeContainer('tree/a')).rejects.toBeInstanceOf(AccessorContainerNotEmptyError);
    await expect(accessor.removeContainer('tree/a/file')).rejects.toBeInstanceOf(
      AccessorResourceInvalidError,
    );
    await expect(accessor.removeContainer('tree/nope')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    await accessor.removeContainer('tree/a', { recursive: true });
    expect(await accessor.list('tree')).toEqual([]);
    await accessor.removeContainer('tree');
    expect(await accessor.exists('tree')).toBe(false);
    expect(existsSync(join(localRoot, 'tree'))).toBe(false);
  });

  it('rejects resource identifiers that leave the root', async () => {
    for (const identifier of [
      '../escape',
      '/etc/passwd',
      'a/../../escape',
      'a/./b',
      'back\\slash',
      'nul\u0000byte',
    ]) {
      await expect(accessor.stat(identifier)).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
      await expect(accessor.write(identifier, 'x')).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
    }
  });

  it('aborts a write, leaving neither the target nor a temp file', async () => {
    const controller = new AbortController();
    const written = accessor.write('aborted.bin', slowSource(1000, 16 * 1024), {
      signal: controller.signal,
      onProgress: (bytes) => {
        if (bytes > 200 * 1024) controller.abort();
      },
    });
    await expect(written).rejects.toBeInstanceOf(OperationAbortedError);
    expect(await accessor.exists('aborted.bin')).toBe(false);
    expect(leftovers()).toEqual([]);
    await expect(accessor.write('x', 'y', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      OperationAbortedError,
    );
  });

  it('fails a write whose source fails, leaving nothing behind', async () => {
    let sent = 0;
    const failing = new Readable({
      read() {
        sent++;
        if (sent > 5) this.destroy(new Error('source broke'));
        else this.push(randomBytes(64 * 1024));
      },
    });
    await expect(accessor.write('broken.bin', failing)).rejects.toThrow(/source broke/);
    expect(await accessor.exists('broken.bin')).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('fails a write whose source cannot even be opened', async () => {
    const missing = createReadStream(join(localRoot, 'does-not-exist'));
    await expect(accessor.write('never.bin', missing)).rejects.toThrow(/ENOENT/);
    expect(await accessor.exists('never.bin')).toBe(false);
  });

  it('aborts a read and stays usable', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    await accessor.write('big-read.bin', data);
    const controller = new AbortController();
    const stream = await accessor.createReadStream('big-read.bin', { signal: controller.signal });
    let received = 0;
    const consumed = (async () => {
      for await (const chunk of stream) {
        received += chunk.length;
        if (received > 256 * 1024) controller.abort();
      }
    })();
    await expect(consumed).rejects.toBeInstanceOf(OperationAbortedError);
    expect(received).toBeLessThan(data.length);
    // A consumer that just destroys the stream releases its connection too.
    for (let index = 0; index < 5; index++) (await accessor.createReadStream('big-read.bin')).destroy();
    expect((await readAll(await accessor.createReadStream('big-read.bin'))).equals(data)).toBe(true);
  });

  it('runs more transfers than connections in parallel', async () => {
    const files = Array.from({ length: 8 }, (_, index) => ({
      name: `parallel-${index}.bin`,
      data: randomBytes(50_000 + index),
    }));
    await Promise.all(files.map((file) => accessor.write(file.name, Readable.from([file.data]))));
    const reads = await Promise.all(
      files.map(async (file) => readAll(await accessor.createReadStream(file.name))),
    );
    for (const [index, read] of reads.entries()) expect(read.equals(files[index]!.data)).toBe(true);
    expect((await accessor.list('')).filter((name) => name.startsWith('parallel-'))).toHaveLength(8);
  });

  it('finds sequences', async () => {
    await accessor.makeContainer('seq');
    await accessor.write('seq/plate.0001.exr', 'a');
    await accessor.write('seq/plate.0002.exr', 'b');
    expect(await accessor.isSequence('seq/plate.%04d.exr')).toBe(true);
    expect(await accessor.isSequence('seq/other.%04d.exr')).toBe(false);
    expect(await accessor.isSequence('nothing/plate.%04d.exr')).toBe(false);
  });

  it('reconnects when the server dropped an idle connection', async () => {
    await accessor.write('idle.txt', 'still here');
    // Close every idle control connection under the pool, as a server idle timeout would.
    const pool = (accessor as unknown as { pool: { idle: Array<{ ftp: { socket: { destroy(): void } } }> } })
      .pool;
    expect(pool.idle.length).toBeGreaterThan(0);
    for (const client of pool.idle) client.ftp.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await readAll(await accessor.createReadStream('idle.txt'))).toString()).toBe('still here');
    expect(await accessor.list('')).toContain('idle.txt');
  });
});

describe.each(TARGETS)('FtpAccessor connection errors ($label)', ({ server, secure }) => {
  it('reports a wrong password as permission denied, without the password', async () => {
    const password = `wrong-${randomBytes(6).toString('hex')}`;
    const accessor = new FtpAccessor({ ...connectionOptions(server, secure), password });
    const error = await accessor.stat('x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AccessorPermissionDeniedError);
    expect((error as AccessorPermissionDeniedError).transient).toBe(false);
    expect(String((error as Error).message)).not.toContain(password);
    expect(JSON.stringify((error as AccessorPermissionDeniedError).details)).not.toContain(password);
    await accessor.close();
  });

  it('refuses to be used after close()', async () => {
    const accessor = new FtpAccessor(connectionOptions(server, secure));
    expect(await accessor.isContainer('')).toBe(true);
    await accessor.close();
    await expect(accessor.list('')).rejects.toBeInstanceOf(AccessorOperationFailedError);
  });
});

describe('FtpAccessor options', () => {
  it('reports an unreachable server as a transient failure', async () => {
    const accessor = new FtpAccessor({ host: '127.0.0.1', port: 1, timeout: 2000 });
    const error = await accessor.list('').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect((error as AccessorOperationFailedError).transient).toBe(true);
    await accessor.close();
  });

  it('rejects a certificate it cannot verify', async () => {
    const { secureOptions: _ignored, ...options } = connectionOptions('proftpd', true);
    const accessor = new FtpAccessor(options);
    await expect(accessor.list('')).rejects.toThrow(/certificate/i);
    await accessor.close();
  });

  it('reports a missing prefix directory as a missing root', async () => {
    const accessor = new FtpAccessor({ ...connectionOptions('vsftpd', false), prefix: 'no-such-prefix' });
    expect(await accessor.isContainer('')).toBe(false);
    await expect(accessor.list('')).rejects.toBeInstanceOf(AccessorResourceNotFoundError);
    await accessor.close();
  });

  it('resolves a prefix relative to the login directory and one that is absolute', async () => {
    const { accessor: relative, directory } = await isolatedAccessor('proftpd', false);
    await relative.write('inside.txt', 'in');
    const absolute = new FtpAccessor({ ...connectionOptions('proftpd', false), prefix: `/${directory}/` });
    expect(await absolute.list('')).toEqual(['inside.txt']);
    await Promise.all([relative.close(), absolute.close()]);
    expect(readFileSync(join(serverEnv('proftpd').root, directory, 'inside.txt'), 'utf8')).toBe('in');
  });
});
