import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  CheckpointSaver,
  defaultCheckpointDirectory,
  FileCheckpointStore,
  lockKeys,
  MemoryCheckpointStore,
  OriginAccessor,
  parseTempFileResumeState,
  peekHead,
  sameFingerprint,
  sourceFingerprint,
} from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stowage-checkpoints-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const checkpoint = (offset: number): Checkpoint => ({
  version: 1,
  accessor: 'disk',
  resourceIdentifier: 'a/b.exr',
  source: { size: 10, head: 'h', tail: 't' },
  state: { temp: '.b.exr.stowage-0123456789ab.tmp', offset },
  updatedAt: new Date(0).toISOString(),
});

describe('FileCheckpointStore', () => {
  it('saves, loads and removes checkpoints, privately', async () => {
    const store = new FileCheckpointStore(join(dir, 'cp'));
    expect(await store.load('k')).toBeUndefined();
    await store.save('k', checkpoint(1));
    await store.save('k', checkpoint(2));
    expect(await store.load('k')).toEqual(checkpoint(2));
    const [file] = await readdir(join(dir, 'cp'));
    // The key is hashed: no resource identifier or location name in file names.
    expect(file).toMatch(/^[0-9a-f]{64}\.json$/);
    expect((await stat(join(dir, 'cp', file!))).mode & 0o777).toBe(0o600);
    await store.remove('k');
    await store.remove('k');
    expect(await store.load('k')).toBeUndefined();
  });

  it('treats an unreadable checkpoint as none (start over, never fail the transfer)', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('k', checkpoint(1));
    const [file] = await readdir(dir);
    await writeFile(join(dir, file!), '{"version": 1, "trunc');
    expect(await store.load('k')).toBeUndefined();
    await writeFile(join(dir, file!), '{"version": 2}');
    expect(await store.load('k')).toBeUndefined();
  });

  it('lock is exclusive until released', async () => {
    const store = new FileCheckpointStore(dir);
    const other = new FileCheckpointStore(dir);
    const release = await store.lock('k');
    expect(release).toBeDefined();
    expect(await other.lock('k')).toBeUndefined();
    expect(await other.lock('another key')).toBeDefined();
    await release!();
    const again = await other.lock('k');
    expect(again).toBeDefined();
    await again!();
  });

  it('makes its folder again when it was removed after the first lock', async () => {
    const store = new FileCheckpointStore(join(dir, 'nested'));
    await (await store.lock('a'))!();
    await rm(join(dir, 'nested'), { recursive: true, force: true });
    const release = await store.lock('b');
    expect(release).toBeDefined();
    expect(await new FileCheckpointStore(join(dir, 'nested')).lock('b')).toBeUndefined();
    await release!();
  });

  it('takes over the lock of a process that is gone, but not of a live one or another host', async () => {
    const store = new FileCheckpointStore(dir);
    const release = await store.lock('k');
    await release!();
    const lockFile = join(dir, `${createHash('sha256').update('k').digest('hex')}.lock`);
    // A pid that certainly exited: a child we ran to completion.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    await writeFile(lockFile, `${dead} ${hostname()}\n`);
    const takenOver = await store.lock('k');
    expect(takenOver).toBeDefined();
    await takenOver!();

    await writeFile(lockFile, `${process.ppid} ${hostname()}\n`);
    expect(await store.lock('k')).toBeUndefined();
    await writeFile(lockFile, `${dead} another-host\n`);
    expect(await store.lock('k')).toBeUndefined();
  });

  it('lockMany takes many locks at once, on the threads and without them, exclusive with lock', async () => {
    for (const threads of ['4', '0']) {
      const previous = process.env.STOWAGE_SMALL_FILE_THREADS;
      process.env.STOWAGE_SMALL_FILE_THREADS = threads;
      try {
        const store = new FileCheckpointStore(join(dir, `many-${threads}`));
        const other = new FileCheckpointStore(join(dir, `many-${threads}`));
        const keys = Array.from({ length: 1200 }, (_, index) => `k${index}`);
        const single = await store.lock('k7');
        const many = await store.lockMany(keys);
        // Held by a live process (this one, through `lock`): refused, the rest taken.
        expect(many.held.filter((held) => !held)).toHaveLength(1);
        expect(many.held[7]).toBe(false);
        expect(await other.lock('k1199')).toBeUndefined();
        expect((await other.lockMany(['k0', 'fresh'])).held).toEqual([false, true]);
        await many.release();
        await single!();
        const files = await readdir(join(dir, `many-${threads}`));
        // Only the one `other` took is left.
        expect(files).toEqual([`${createHash('sha256').update('fresh').digest('hex')}.lock`]);
      } finally {
        if (previous === undefined) delete process.env.STOWAGE_SMALL_FILE_THREADS;
        else process.env.STOWAGE_SMALL_FILE_THREADS = previous;
      }
    }
  });

  it('lockMany takes over the lock of a gone process, respects a live one, and remakes a removed folder', async () => {
    const store = new FileCheckpointStore(dir);
    const lockFile = (key: string) => join(dir, `${createHash('sha256').update(key).digest('hex')}.lock`);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    await (await store.lock('warm'))!();
    await writeFile(lockFile('gone'), `${dead} ${hostname()}\n`);
    await writeFile(lockFile('live'), `${process.ppid} ${hostname()}\n`);
    const many = await store.lockMany(['gone', 'live', 'new']);
    expect(many.held).toEqual([true, false, true]);
    await many.release();
    // Released: the taken-over lock and the new one are gone, the live one stays.
    await expect(stat(lockFile('gone'))).rejects.toThrow();
    await expect(stat(lockFile('new'))).rejects.toThrow();
    await stat(lockFile('live'));
    await rm(dir, { recursive: true, force: true });
    const again = await store.lockMany(['a', 'b']);
    expect(again.held).toEqual([true, true]);
    await again.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('defaults to STOWAGE_CHECKPOINT_DIR, then the XDG cache', () => {
    expect(defaultCheckpointDirectory({ STOWAGE_CHECKPOINT_DIR: '/x/cp' })).toBe('/x/cp');
    expect(defaultCheckpointDirectory({ XDG_CACHE_HOME: '/c' })).toBe(join('/c', 'stowage', 'checkpoints'));
  });
});

describe('lockKeys', () => {
  it('locks key by key in a store without lockMany, and on an error releases what it took', async () => {
    const store = new MemoryCheckpointStore();
    const held = await store.lock('b');
    const locks = await lockKeys(store, ['a', 'b', 'c']);
    expect(locks.held).toEqual([true, false, true]);
    await locks.release();
    await held!();
    const lock = store.lock.bind(store);
    store.lock = (key) => (key === 'bad' ? Promise.reject(new Error('unwritable')) : lock(key));
    await expect(lockKeys(store, ['x', 'bad', 'y'])).rejects.toThrow('unwritable');
    // Nothing stays taken.
    expect((await lockKeys(store, ['x', 'y'])).held).toEqual([true, true]);
  });
});

describe('MemoryCheckpointStore', () => {
  it('keeps copies, and locks per key', async () => {
    const store = new MemoryCheckpointStore();
    const saved = checkpoint(5);
    await store.save('k', saved);
    saved.state.offset = 99;
    expect((await store.load('k'))?.state.offset).toBe(5);
    const release = await store.lock('k');
    expect(await store.lock('k')).toBeUndefined();
    await release!();
    expect(await store.lock('k')).toBeDefined();
  });
});

describe('sourceFingerprint', () => {
  it('changes with the first MiB, the last MiB, the size and the mtime', async () => {
    const path = join(dir, 'source.bin');
    const bytes = Buffer.alloc(3 * 1024 * 1024, 1);
    await writeFile(path, bytes);
    const origin = new OriginAccessor();
    const fingerprint = async () => sourceFingerprint(origin, path, await origin.stat(path));
    const first = await fingerprint();
    expect(sameFingerprint(first, await fingerprint())).toBe(true);
    expect(first.size).toBe(bytes.length);

    const variants: Array<(b: Buffer) => Buffer> = [
      (b) => Buffer.concat([Buffer.from([2]), b.subarray(1)]),
      (b) => Buffer.concat([b.subarray(0, -1), Buffer.from([2])]),
      (b) => b.subarray(0, -1),
    ];
    for (const variant of variants) {
      await writeFile(path, variant(bytes));
      const { utimes } = await import('node:fs/promises');
      const stamp = new Date(first.modified!);
      await utimes(path, stamp, stamp); // same mtime: only the bytes tell
      expect(sameFingerprint(first, await fingerprint())).toBe(false);
    }
    await writeFile(path, bytes);
    const { utimes } = await import('node:fs/promises');
    await utimes(path, new Date(), new Date(Date.now() + 10_000));
    expect(sameFingerprint(first, await fingerprint())).toBe(false);
  });
});

describe('peekHead', () => {
  const chunksOf = (total: number, size: number) =>
    Array.from({ length: Math.ceil(total / size) }, (_, index) =>
      Buffer.alloc(Math.min(size, total - index * size), index % 251),
    );
  const md5 = (buffers: Buffer[]) => {
    const hash = createHash('md5');
    for (const buffer of buffers) hash.update(buffer);
    return hash.digest('hex');
  };

  it('returns the first bytes and puts them back: the stream still yields every byte, in order', async () => {
    const chunks = chunksOf(300_000, 64 * 1024);
    const stream = Readable.from(chunks, { objectMode: false });
    const head = await peekHead(stream, 100_000);
    expect(head?.length).toBe(100_000);
    expect(md5([head!])).toBe(md5([Buffer.concat(chunks).subarray(0, 100_000)]));
    const read: Buffer[] = [];
    for await (const chunk of stream) read.push(chunk as Buffer);
    expect(md5(read)).toBe(md5(chunks));
  });

  it('leaves the stream to a pipe afterwards (no readable listener keeps it paused)', async () => {
    const chunks = chunksOf(200_000, 16 * 1024);
    const stream = Readable.from(chunks, { objectMode: false });
    expect((await peekHead(stream, 1000))?.length).toBe(1000);
    const read: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => read.push(chunk));
      stream.once('end', resolve);
      stream.once('error', reject);
    });
    expect(md5(read)).toBe(md5(chunks));
  });

  it('is undefined when the stream ends or fails first; the failure stays visible to the copy', async () => {
    expect(await peekHead(Readable.from(chunksOf(500, 100), { objectMode: false }), 1000)).toBeUndefined();
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    expect(await peekHead(failing, 1000)).toBeUndefined();
    expect(failing.errored?.message).toBe('connection reset');
    const destroyed = Readable.from([Buffer.alloc(10)], { objectMode: false });
    destroyed.destroy();
    expect(await peekHead(destroyed, 5)).toBeUndefined();
  });
});

describe('parseTempFileResumeState', () => {
  const pattern = /^\.stowage-[0-9a-f]{8}\.tmp$/;
  it("accepts the accessor's own temp name and a whole offset", () => {
    expect(parseTempFileResumeState({ temp: '.stowage-0123abcd.tmp', offset: 42 }, pattern)).toEqual({
      temp: '.stowage-0123abcd.tmp',
      offset: 42,
    });
  });
  it.each([
    ['another name', { temp: 'shot.exr', offset: 0 }],
    ['a path', { temp: '../.stowage-0123abcd.tmp', offset: 0 }],
    ['a negative offset', { temp: '.stowage-0123abcd.tmp', offset: -1 }],
    ['a fractional offset', { temp: '.stowage-0123abcd.tmp', offset: 1.5 }],
    ['a string offset', { temp: '.stowage-0123abcd.tmp', offset: '7' }],
    ['no temp', { offset: 3 }],
  ])('rejects %s', (_label, state) => {
    expect(parseTempFileResumeState(state as Record<string, unknown>, pattern)).toBeUndefined();
  });
  it('rejects separators even when the pattern would allow them', () => {
    expect(parseTempFileResumeState({ temp: 'a/b.tmp', offset: 0 }, /\.tmp$/)).toBeUndefined();
    expect(parseTempFileResumeState({ temp: 'a\\b.tmp', offset: 0 }, /\.tmp$/)).toBeUndefined();
  });
});

describe('CheckpointSaver', () => {
  it('saves once per interval, one save at a time, the latest offset winning', async () => {
    const saved: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const saver = new CheckpointSaver(
      async (offset) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        saved.push(offset);
        running--;
      },
      100,
      10,
    );
    saver.progress(105); // below the first mark (110)
    saver.progress(110); // saves
    saver.progress(125); // waits behind the running save
    saver.progress(140); // replaces 125
    await saver.flush();
    expect(saved).toEqual([110, 140]);
    expect(maxRunning).toBe(1);
  });
  it('reports the first failure at flush and stops saving', async () => {
    let calls = 0;
    const saver = new CheckpointSaver(
      async () => {
        calls++;
        throw new Error('disk full');
      },
      0,
      1,
    );
    saver.progress(1);
    await expect(saver.flush()).rejects.toThrow('disk full');
    saver.progress(2);
    await expect(saver.flush()).rejects.toThrow('disk full');
    expect(calls).toBe(1);
  });
});
