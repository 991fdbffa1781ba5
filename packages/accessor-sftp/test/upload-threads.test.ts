import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessorOperationFailedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  FileCheckpointStore,
  OperationAbortedError,
  OriginAccessor,
  transferFile,
} from '@stowage/core';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedAccessor } from './helpers.js';

// The threads run the built accessor (dist/upload-worker.js): `npm test` builds first.

const localDirs: string[] = [];
afterAll(() => {
  for (const dir of localDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh local folder, removed after the file's tests. */
function localDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-sftp-threads-'));
  localDirs.push(dir);
  return dir;
}

/** Local source files (the origin location reads absolute paths). */
function localFiles(sizes: number[]): Array<{ path: string; name: string; bytes: Buffer }> {
  const dir = localDir();
  return sizes.map((size, index) => {
    const name = `f.${String(index).padStart(4, '0')}.exr`;
    const bytes = randomBytes(size);
    writeFileSync(join(dir, name), bytes);
    return { path: join(dir, name), name, bytes };
  });
}

/** Temp names the accessor's writes leave while in flight. */
function tempNames(path: string): string[] {
  return existsSync(path) ? readdirSync(path).filter((name) => name.includes('.stowage-')) : [];
}

describe('SFTP upload threads (local files written off the main thread)', () => {
  const origin = new OriginAccessor();

  it('upload local files of every size on the threads: same bytes, published, nothing else left', async () => {
    const { accessor, localPath } = isolatedAccessor({ uploadThreads: 2, poolSize: 4 });
    try {
      // Empty, small, one request, a frame, and past a whole read (streamed in the thread).
      const files = localFiles([0, 1, 4096, 255 * 1024 + 3, 1024 * 1024, 3 * 1024 * 1024 + 17]);
      await accessor.makeContainer('seq', true);
      const results = await Promise.all(
        files.map((file) => transferFile(origin, file.path, accessor, `seq/${file.name}`)),
      );
      expect(results.map((result) => result.size)).toEqual(files.map((file) => file.bytes.length));
      expect(accessor.uploadThreadCount).toBe(2);
      for (const file of files)
        expect(readFileSync(join(localPath, 'seq', file.name)).equals(file.bytes)).toBe(true);
      expect(readdirSync(join(localPath, 'seq')).sort()).toEqual(files.map((file) => file.name).sort());
    } finally {
      await accessor.close();
    }
  });

  it('refuses an existing target without overwrite: the typed error, the target untouched', async () => {
    const { accessor, localPath } = isolatedAccessor({ uploadThreads: 1 });
    try {
      const [first, second] = localFiles([128 * 1024, 96 * 1024]);
      await transferFile(origin, first!.path, accessor, 'shot.exr');
      const error = await transferFile(origin, second!.path, accessor, 'shot.exr').catch((caught) => caught);
      expect(error).toBeInstanceOf(AccessorResourceExistsError);
      expect(error.resourceIdentifier).toBe('shot.exr');
      expect(error.operation).toBe('write');
      expect(error.transient).toBe(false);
      // The thread's own stack is kept as the cause.
      expect(error.cause).toBeInstanceOf(Error);
      expect(accessor.uploadThreadCount).toBe(1);
      expect(readFileSync(join(localPath, 'shot.exr')).equals(first!.bytes)).toBe(true);
      expect(tempNames(localPath)).toEqual([]);
      // overwrite: true replaces it, on the thread too.
      await transferFile(origin, second!.path, accessor, 'shot.exr', { overwrite: true });
      expect(readFileSync(join(localPath, 'shot.exr')).equals(second!.bytes)).toBe(true);
    } finally {
      await accessor.close();
    }
  });

  it('an abort stops the thread write: OperationAbortedError, no target and no temp file', async () => {
    const { accessor, localPath } = isolatedAccessor({ uploadThreads: 1 });
    // A file large enough to catch mid-write, on the threads: below the resume threshold.
    const threshold = process.env.STOWAGE_RESUME_THRESHOLD;
    process.env.STOWAGE_RESUME_THRESHOLD = String(1024 * 1024 * 1024);
    try {
      const [big] = localFiles([128 * 1024 * 1024]);
      await accessor.makeContainer('big', true);
      const folder = join(localPath, 'big');
      const controller = new AbortController();
      const copying = transferFile(origin, big!.path, accessor, 'big/plate.exr', {
        signal: controller.signal,
      });
      copying.catch(() => {});
      // Abort once the write is under way: its temp file is on the server and growing.
      const deadline = Date.now() + 20_000;
      while (!tempNames(folder).some((name) => statSync(join(folder, name)).size > 0)) {
        if (Date.now() > deadline) throw new Error('the upload never started');
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      controller.abort();
      await expect(copying).rejects.toBeInstanceOf(OperationAbortedError);
      // The promise settles only after the thread removed its temp file.
      expect(readdirSync(folder)).toEqual([]);
      expect(accessor.uploadThreadCount).toBe(1);
    } finally {
      if (threshold === undefined) delete process.env.STOWAGE_RESUME_THRESHOLD;
      else process.env.STOWAGE_RESUME_THRESHOLD = threshold;
      await accessor.close();
    }
  }, 60_000);

  it('declines what is not a local file, or what the engine would resume, before a byte moves', async () => {
    const { accessor, localPath } = isolatedAccessor({ uploadThreads: 1 });
    try {
      const [file] = localFiles([64 * 1024]);
      expect(accessor.copiesFrom(origin)).toBe(true);
      expect(await accessor.copyFrom(origin, `${file!.path}.missing`, 'missing.exr')).toBeUndefined();
      expect(await accessor.copyFrom(origin, tmpdir(), 'folder.exr')).toBeUndefined();
      expect(await accessor.copyFrom(origin, file!.path, 'big.exr', { resumableFrom: 1024 })).toBeUndefined();
      // From the resume threshold up, checkpoints or not (its progress then streams).
      const threshold = process.env.STOWAGE_RESUME_THRESHOLD;
      process.env.STOWAGE_RESUME_THRESHOLD = String(64 * 1024);
      try {
        expect(await accessor.copyFrom(origin, file!.path, 'big.exr')).toBeUndefined();
      } finally {
        if (threshold === undefined) delete process.env.STOWAGE_RESUME_THRESHOLD;
        else process.env.STOWAGE_RESUME_THRESHOLD = threshold;
      }
      expect(existsSync(localPath) ? readdirSync(localPath) : []).toEqual([]);
      // At the threshold's edge it is still the thread's.
      expect(
        await accessor.copyFrom(origin, file!.path, 'edge.exr', { resumableFrom: 64 * 1024 + 1 }),
      ).toEqual({
        size: 64 * 1024,
        checksums: {},
      });
    } finally {
      await accessor.close();
    }
  });

  it('leaves files the engine would resume on its checkpointed path', async () => {
    const { accessor, localPath } = isolatedAccessor({ uploadThreads: 1 });
    const store = new FileCheckpointStore(localDir());
    try {
      const [file] = localFiles([3 * 1024 * 1024]);
      // The thread declines it (the engine's resumableFrom); the main thread's write, with a checkpoint, takes it.
      const mainWrites: unknown[] = [];
      const write = accessor.write.bind(accessor);
      accessor.write = (resourceIdentifier, source, options) => {
        mainWrites.push(options?.resume);
        return write(resourceIdentifier, source, options);
      };
      const result = await transferFile(origin, file!.path, accessor, 'plate.exr', {
        checkpoints: { store, key: 'threads-test', threshold: 1024 * 1024 },
      });
      expect(result.size).toBe(file!.bytes.length);
      expect(mainWrites).toHaveLength(1);
      expect(mainWrites[0]).toBeDefined();
      expect(readFileSync(join(localPath, 'plate.exr')).equals(file!.bytes)).toBe(true);
    } finally {
      await accessor.close();
    }
  });

  it('leaves files under 64 KiB to the main thread (round trips, not bytes), without a thread hop', async () => {
    const { accessor, localPath } = isolatedAccessor({ uploadThreads: 1 });
    try {
      const [small, edge] = localFiles([64 * 1024 - 1, 64 * 1024]);
      expect(
        await accessor.copyFrom(origin, small!.path, 'small.exr', { sourceSize: 64 * 1024 - 1 }),
      ).toBeUndefined();
      expect(accessor.uploadThreadCount).toBe(0);
      // Through the engine: declined, then read and written here, as without threads.
      expect((await transferFile(origin, small!.path, accessor, 'small.exr')).size).toBe(64 * 1024 - 1);
      expect(accessor.uploadThreadCount).toBe(0);
      expect(readFileSync(join(localPath, 'small.exr')).equals(small!.bytes)).toBe(true);
      expect((await transferFile(origin, edge!.path, accessor, 'edge.exr')).size).toBe(64 * 1024);
      expect(accessor.uploadThreadCount).toBe(1);
    } finally {
      await accessor.close();
    }
  });

  it('fails a bad target identifier as write does, without starting a thread', async () => {
    const { accessor } = isolatedAccessor({ uploadThreads: 1 });
    try {
      const [file] = localFiles([16]);
      await expect(accessor.copyFrom(origin, file!.path, '../outside.exr')).rejects.toBeInstanceOf(
        AccessorResourceIdentifierError,
      );
      expect(accessor.uploadThreadCount).toBe(0);
    } finally {
      await accessor.close();
    }
  });

  it('is off with uploadThreads: 0 and with a hostVerifier (a function no thread can be given)', async () => {
    for (const overrides of [{ uploadThreads: 0 }, { hostVerifier: () => true }]) {
      const { accessor } = isolatedAccessor(overrides);
      try {
        expect(accessor.copiesFrom(origin)).toBe(false);
        const [file] = localFiles([16]);
        expect(await accessor.copyFrom(origin, file!.path, 'x.exr')).toBeUndefined();
        // The engine then streams on the main thread, as before.
        expect((await transferFile(origin, file!.path, accessor, 'x.exr')).size).toBe(16);
        expect(accessor.uploadThreadCount).toBe(0);
      } finally {
        await accessor.close();
      }
    }
  });

  it('close() closes the threads and their connections; later uploads fail clearly', async () => {
    const { accessor } = isolatedAccessor({ uploadThreads: 2 });
    const [a, b] = localFiles([100 * 1024, 200 * 1024]);
    await Promise.all([
      transferFile(origin, a!.path, accessor, 'a.exr'),
      transferFile(origin, b!.path, accessor, 'b.exr'),
    ]);
    expect(accessor.uploadThreadCount).toBe(2);
    await accessor.close();
    expect(accessor.uploadThreadCount).toBe(0);
    const error = await accessor.copyFrom(origin, a!.path, 'c.exr').catch((caught) => caught);
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect(error.message).toMatch(/closed/);
  });
});

describe('SFTP upload threads and the process', () => {
  it('do not keep the process alive once idle', async () => {
    // A child uploads one file and never calls close(): it must still exit.
    const [file] = localFiles([100_000]);
    const { folder } = isolatedAccessor();
    const script = join(localDir(), 'upload-one.mjs');
    writeFileSync(
      script,
      `const { SftpAccessor, sftpAccessorOptionsFromEnv } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      const { OriginAccessor, transferFile } = await import(${JSON.stringify(new URL('../../core/dist/index.js', import.meta.url).href)});
      const accessor = new SftpAccessor({ ...sftpAccessorOptionsFromEnv(), folder: ${JSON.stringify(folder)}, uploadThreads: 1 });
      const result = await transferFile(new OriginAccessor(), ${JSON.stringify(file!.path)}, accessor, 'one.exr');
      console.log(JSON.stringify({ size: result.size, threads: accessor.uploadThreadCount }));`,
    );
    const child = spawnSync(process.execPath, [script], {
      env: process.env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ size: 100_000, threads: 1 });
  }, 40_000);
});
