import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  AccessorIntegrityError,
  type CopyOptions,
  defineCapabilities,
  type FileTransferOptions,
  MemoryAccessor,
  MemoryCheckpointStore,
  type OpenedRead,
  type OpenReadOptions,
  type ResourceStat,
  readAll,
  transferFile,
  type WriteOptions,
  type WriteResult,
  type WriteSource,
} from '../src/index.js';

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** A target that keeps MD5s natively and may report them from the write itself. */
class Md5Target extends MemoryAccessor {
  override readonly capabilities = defineCapabilities({
    ...new MemoryAccessor().capabilities,
    checksums: ['md5'],
  });
  stats = 0;
  reportStored: 'none' | 'right' | 'wrong' = 'none';
  storedMd5 = new Map<string, string>();

  override async write(resourceIdentifier: string, source: WriteSource, options: WriteOptions = {}) {
    const result: WriteResult = await super.write(resourceIdentifier, source, options);
    const value = result.checksums.md5 ?? '';
    this.storedMd5.set(resourceIdentifier, value);
    if (this.reportStored === 'none') return result;
    return { ...result, stored: { md5: this.reportStored === 'right' ? value : md5(Buffer.from('x')) } };
  }

  override async stat(resourceIdentifier: string): Promise<ResourceStat> {
    this.stats++;
    const stat = await super.stat(resourceIdentifier);
    const stored = this.storedMd5.get(resourceIdentifier);
    return stored ? { ...stat, checksums: { md5: stored } } : stat;
  }
}

describe('after-write checksum comparison', () => {
  const data = randomBytes(100_000);

  it('hashes for a target with native MD5 and compares with a stat when the write does not report it', async () => {
    const source = new MemoryAccessor();
    await source.write('a.bin', data);
    const target = new Md5Target();
    const result = await transferFile(source, 'a.bin', target, 'a.bin');
    expect(result).toEqual({ size: data.length, checksums: { md5: md5(data) } });
    expect(target.stats).toBe(1);
  });

  it('uses the checksum the write reported instead of a stat', async () => {
    const source = new MemoryAccessor();
    await source.write('a.bin', data);
    const target = new Md5Target();
    target.reportStored = 'right';
    const result = await transferFile(source, 'a.bin', target, 'a.bin');
    expect(result).toEqual({ size: data.length, checksums: { md5: md5(data) } });
    expect(target.stats).toBe(0);
  });

  it('fails and removes the copy when the reported checksum differs', async () => {
    const source = new MemoryAccessor();
    await source.write('a.bin', data);
    const target = new Md5Target();
    target.reportStored = 'wrong';
    await expect(transferFile(source, 'a.bin', target, 'a.bin', { retries: 0 })).rejects.toBeInstanceOf(
      AccessorIntegrityError,
    );
    expect(await target.exists('a.bin')).toBe(false);
  });

  it('does not hash a copy nothing compares, unless checksums: always', async () => {
    const source = new MemoryAccessor();
    await source.write('a.bin', data);
    const target = new MemoryAccessor();
    expect(await transferFile(source, 'a.bin', target, 'a.bin')).toEqual({
      size: data.length,
      checksums: {},
    });
    expect(await transferFile(source, 'a.bin', target, 'b.bin', { checksums: 'always' })).toEqual({
      size: data.length,
      checksums: { md5: md5(data) },
    });
  });
});

/** A source whose read tells the stat (as an HTTP GET does), counting stats. */
class OpenReadSource extends MemoryAccessor {
  stats = 0;
  claimedMd5: string | undefined;
  verified = false;

  override async stat(resourceIdentifier: string): Promise<ResourceStat> {
    this.stats++;
    return super.stat(resourceIdentifier);
  }

  opens: OpenReadOptions[] = [];

  async openRead(resourceIdentifier: string, options: OpenReadOptions = {}): Promise<OpenedRead> {
    this.opens.push(options);
    const stat = await super.stat(resourceIdentifier);
    return {
      stream: await this.createReadStream(resourceIdentifier),
      stat: this.claimedMd5 ? { ...stat, checksums: { md5: this.claimedMd5 } } : stat,
      verified: this.verified,
    };
  }
}

describe('sources that tell the stat with the read', () => {
  const data = randomBytes(50_000);

  it('are read without a stat, and their native MD5 is still checked', async () => {
    const source = new OpenReadSource();
    await source.write('a.bin', data);
    const target = new MemoryAccessor();
    source.claimedMd5 = md5(data);
    expect(await transferFile(source, 'a.bin', target, 'a.bin')).toEqual({
      size: data.length,
      checksums: { md5: md5(data) },
    });
    expect(source.stats).toBe(0);
    source.claimedMd5 = md5(Buffer.from('other'));
    await expect(transferFile(source, 'a.bin', target, 'b.bin', { retries: 0 })).rejects.toBeInstanceOf(
      AccessorIntegrityError,
    );
    expect(await target.exists('b.bin')).toBe(false);
  });

  it('a read that fails before the copy pipes it fails the transfer, not the process', async () => {
    class FailingRead extends OpenReadSource {
      override async openRead(resourceIdentifier: string): Promise<OpenedRead> {
        const stat = await super.stat(resourceIdentifier);
        const stream = new Readable({ read() {} });
        setTimeout(() => stream.destroy(new Error('connection reset by peer')), 5);
        return { stream, stat };
      }
    }
    /** A target that takes its time before it reads (as one that checks its folder first). */
    class SlowTarget extends MemoryAccessor {
      override async write(resourceIdentifier: string, source: WriteSource, options: WriteOptions = {}) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return super.write(resourceIdentifier, source, options);
      }
    }
    const source = new FailingRead();
    await source.write('a.bin', data);
    const target = new SlowTarget();
    await expect(transferFile(source, 'a.bin', target, 'a.bin', { retries: 0 })).rejects.toThrow(
      'connection reset by peer',
    );
    expect(await target.exists('a.bin')).toBe(false);
  });

  it('with verify: false, the native MD5 is neither hashed nor compared (the size still is)', async () => {
    const source = new OpenReadSource();
    await source.write('a.bin', data);
    source.claimedMd5 = md5(Buffer.from('other'));
    const target = new MemoryAccessor();
    expect(await transferFile(source, 'a.bin', target, 'a.bin', { verify: false })).toEqual({
      size: data.length,
      checksums: {},
    });
    expect(await target.exists('a.bin')).toBe(true);
  });

  it('are asked not to check their MD5: the target hashes the bytes and checks it', async () => {
    const source = new OpenReadSource();
    await source.write('a.bin', data);
    source.claimedMd5 = md5(data);
    const result = await transferFile(source, 'a.bin', new MemoryAccessor(), 'a.bin');
    expect(source.opens.map((options) => options.verify)).toEqual([false]);
    // The target's hash comes back, to be registered for `verify --checksums`.
    expect(result).toEqual({ size: data.length, checksums: { md5: md5(data) } });
  });

  it('a mismatch the target finds is transient: each attempt reads again, none publishes', async () => {
    const source = new OpenReadSource();
    await source.write('a.bin', data);
    source.claimedMd5 = md5(Buffer.from('other'));
    const target = new MemoryAccessor();
    const error = await transferFile(source, 'a.bin', target, 'a.bin', { retries: 2 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AccessorIntegrityError);
    expect((error as AccessorIntegrityError).transient).toBe(true);
    expect(source.opens).toHaveLength(3);
    expect(await target.exists('a.bin')).toBe(false);
  });

  it('are not hashed again when the stream checks its own MD5', async () => {
    const source = new OpenReadSource();
    await source.write('a.bin', data);
    source.claimedMd5 = md5(data);
    source.verified = true;
    const result = await transferFile(source, 'a.bin', new MemoryAccessor(), 'a.bin');
    expect(result).toEqual({ size: data.length, checksums: {} });
  });
});

/** A target whose fast path declines every copy, recording what the engine asked of it. */
class DecliningTarget extends MemoryAccessor {
  override readonly capabilities: ReturnType<typeof defineCapabilities>;
  asked: CopyOptions[] = [];
  constructor(resume: boolean) {
    super();
    this.capabilities = defineCapabilities({ ...new MemoryAccessor().capabilities, resume });
  }
  copiesFrom(): boolean {
    return true;
  }
  async copyFrom(_source: unknown, _id: string, _target: string, options: CopyOptions = {}) {
    this.asked.push(options);
    return undefined;
  }
}

/** A source whose one-request read counts itself, as a local file's does (stat + whole bytes). */
class OpeningSource extends MemoryAccessor {
  opened: OpenReadOptions[] = [];
  stats = 0;
  async openRead(resourceIdentifier: string, options: OpenReadOptions = {}): Promise<OpenedRead> {
    this.opened.push(options);
    const stat = await super.stat(resourceIdentifier);
    const bytes = await readAll(await this.createReadStream(resourceIdentifier));
    return { stat, stream: Readable.from([bytes]), data: bytes };
  }
  override async stat(resourceIdentifier: string): Promise<ResourceStat> {
    this.stats++;
    return super.stat(resourceIdentifier);
  }
}

describe('fast paths and resumable copies', () => {
  const data = randomBytes(5000);

  it('tell a fast path from what size the engine would resume the copy (checkpoints on)', async () => {
    const source = new MemoryAccessor();
    await source.write('a.bin', data);
    const cases: Array<[DecliningTarget, FileTransferOptions, number | undefined]> = [
      [
        new DecliningTarget(true),
        { checkpoints: { store: new MemoryCheckpointStore(), key: 'k', threshold: 1000 } },
        1000,
      ],
      [new DecliningTarget(true), {}, undefined],
      // A target that cannot resume gains nothing from the engine's path.
      [
        new DecliningTarget(false),
        { checkpoints: { store: new MemoryCheckpointStore(), key: 'k', threshold: 1000 } },
        undefined,
      ],
    ];
    for (const [target, options, expected] of cases) {
      const result = await transferFile(source, 'a.bin', target, 'a.bin', options);
      // Declined: the engine streamed it.
      expect(result.size).toBe(data.length);
      expect((await readAll(await target.createReadStream('a.bin'))).equals(data)).toBe(true);
      expect(target.asked).toHaveLength(1);
      expect(target.asked[0]!.resumableFrom).toBe(expected);
      expect(target.asked[0]!.sourceSize).toBe(data.length);
    }
  });

  it('open the source first for a fast path that takes only larger sources: no stat, small ones stay', async () => {
    class MinBytesTarget extends DecliningTarget {
      readonly copyFromMinBytes = 1000;
    }
    const source = new OpeningSource();
    await source.write('small.bin', data.subarray(0, 999));
    await source.write('large.bin', data);
    const target = new MinBytesTarget(false);
    expect((await transferFile(source, 'small.bin', target, 'small.bin')).size).toBe(999);
    // Read once, whole; the fast path never asked.
    expect(source.opened).toEqual([{ verify: false, wholeBytes: 999 }]);
    expect(target.asked).toHaveLength(0);
    expect((await transferFile(source, 'large.bin', target, 'large.bin')).size).toBe(data.length);
    expect(target.asked.map((options) => options.sourceSize)).toEqual([data.length]);
    // Opened once to learn the size, and again after the fast path declined it.
    expect(source.opened).toHaveLength(3);
    expect(source.stats).toBe(0);
    expect((await readAll(await target.createReadStream('large.bin'))).equals(data)).toBe(true);
  });

  it('still copy on the server within one accessor, whatever copyFromMinBytes says', async () => {
    // MemoryAccessor copies on its "server" (capabilities.serverSideCopy).
    class SameServer extends OpeningSource {
      readonly copyFromMinBytes = 1000;
      copies = 0;
      override async copy(from: string, to: string): Promise<WriteResult> {
        this.copies++;
        const bytes = await readAll(await this.createReadStream(from));
        return this.write(to, bytes);
      }
    }
    const accessor = new SameServer();
    await accessor.write('small.bin', data.subarray(0, 10));
    expect((await transferFile(accessor, 'small.bin', accessor, 'copy.bin')).size).toBe(10);
    expect(accessor.copies).toBe(1);
    expect(accessor.opened).toHaveLength(0);
  });

  it('read a declined copy with the one-request openRead, as without a fast path', async () => {
    const source = new OpeningSource();
    await source.write('a.bin', data);
    const target = new DecliningTarget(false);
    const result = await transferFile(source, 'a.bin', target, 'a.bin');
    expect(result.size).toBe(data.length);
    expect(target.asked).toHaveLength(1);
    expect(source.opened).toHaveLength(1);
    expect(source.stats).toBe(1);
    expect((await readAll(await target.createReadStream('a.bin'))).equals(data)).toBe(true);
  });
});
