import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { rejectsWith, testBytes } from '@stowage/conformance';
import {
  AccessorOperationFailedError,
  AccessorResourceExistsError,
  createPrefixHashes,
  type ResumeState,
  readAll,
} from '@stowage/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { AzureBlobAccessor } from '../src/index.js';
import { blobNames, isolatedAccessor } from './helpers.js';

// The resumable write path in one process: what is saved when, what
// resumeOffset accepts, what discardResume leaves (test/resume.test.ts runs
// the cross-process kill-and-resume suite).
const BLOCK = 64 * 1024;
const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');
const opened: AzureBlobAccessor[] = [];
function fresh() {
  const made = isolatedAccessor({ blockSize: BLOCK, concurrency: 3 });
  opened.push(made.accessor);
  return made;
}
afterAll(async () => {
  for (const accessor of opened) {
    await accessor.removeContainer('', { recursive: true }).catch(() => {});
    await accessor.close();
  }
});

function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size) out.push(data.subarray(offset, offset + size));
  return out;
}

/** The first `bytes` of `data`, then a (transient-looking) failure of the source. */
function failingAfter(data: Buffer, bytes: number): Readable {
  async function* generate() {
    for (const chunk of chunks(data.subarray(0, bytes), 10_000)) yield chunk;
    throw Object.assign(new Error('source connection reset'), { code: 'ECONNRESET' });
  }
  return Readable.from(generate());
}

async function uncommitted(accessor: AzureBlobAccessor, prefix: string, name: string) {
  const list = await accessor.containerClient
    .getBlockBlobClient(`${prefix}/${name}`)
    .getBlockList('uncommitted')
    .catch(() => undefined);
  return list?.uncommittedBlocks ?? [];
}

/** Interrupt a resumable write after `bytes`; returns every state it saved. */
async function interrupted(accessor: AzureBlobAccessor, name: string, data: Buffer, bytes: number) {
  const saved: ResumeState[] = [];
  await expect(
    accessor.write(name, failingAfter(data, bytes), {
      size: data.length,
      resume: { offset: 0, save: async (state) => void saved.push(state) },
    }),
  ).rejects.toThrow();
  return saved;
}

describe('resumable block upload', () => {
  it('saves its state before staging, then the contiguous staged offset, and publishes atomically', async () => {
    const { accessor, prefix } = fresh();
    const data = testBytes(10 * BLOCK + 123, 'fresh');
    const saved: ResumeState[] = [];
    const blocksAtSave: number[] = [];
    const result = await accessor.write('f.bin', Readable.from(chunks(data, 50_000)), {
      size: data.length,
      checksums: ['md5'],
      resume: {
        offset: 0,
        save: async (state) => {
          saved.push(state);
          blocksAtSave.push((await uncommitted(accessor, prefix, 'f.bin')).length);
        },
      },
    });
    expect(result).toEqual({ size: data.length, checksums: { md5: md5(data) }, stored: { md5: md5(data) } });
    expect(saved[0]).toMatchObject({ version: 1, blockSize: BLOCK, offset: 0 });
    expect(blocksAtSave[0]).toBe(0);
    const offsets = saved.map((state) => state.offset as number);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(offsets.length);
    for (const offset of offsets.slice(0, -1)) expect(offset % BLOCK).toBe(0);
    expect(offsets.at(-1)).toBe(data.length);
    // Every state is the same upload.
    expect(new Set(saved.map((state) => state.nonce)).size).toBe(1);
    expect((await accessor.stat('f.bin')).checksums).toEqual({ md5: md5(data) });
    expect(await readAll(await accessor.createReadStream('f.bin'))).toEqual(data);
  });

  it('a failed write keeps its blocks; resumeOffset counts them; the resumed write sends only the rest', async () => {
    const { accessor, prefix } = fresh();
    const data = testBytes(9 * BLOCK + 5_000, 'resumed');
    const saved = await interrupted(accessor, 'r.bin', data, 6 * BLOCK + 1_000);
    const state = saved.at(-1)!;
    expect(state.offset).toBe(6 * BLOCK);
    // Nothing visible: the blocks are uncommitted.
    expect(await accessor.exists('r.bin')).toBe(false);
    expect(await blobNames(accessor, `${prefix}/`)).toEqual([]);
    const offset = await accessor.resumeOffset('r.bin', state, { size: data.length });
    expect(offset).toBe(6 * BLOCK);

    const hashes = createPrefixHashes(['md5']);
    hashes.md5!.update(data.subarray(0, offset));
    const progress: number[] = [];
    const later: ResumeState[] = [];
    const result = await accessor.write('r.bin', Readable.from(chunks(data.subarray(offset), 30_000)), {
      size: data.length,
      checksum: { algorithm: 'md5', value: md5(data) },
      onProgress: (bytes) => progress.push(bytes),
      resume: { state, offset: offset!, hashes, save: async (next) => void later.push(next) },
    });
    expect(result.size).toBe(data.length);
    expect(result.checksums.md5).toBe(md5(data));
    expect(progress[0]).toBeGreaterThan(offset!);
    expect(later[0]).toEqual({ ...state, offset });
    expect(later.every((next) => next.nonce === state.nonce)).toBe(true);
    expect(await readAll(await accessor.createReadStream('r.bin'))).toEqual(data);
    expect((await accessor.stat('r.bin')).checksums).toEqual({ md5: md5(data) });
    // The commit dropped the leftovers: nothing can be resumed any more.
    expect(await uncommitted(accessor, prefix, 'r.bin')).toEqual([]);
    expect(await accessor.resumeOffset('r.bin', state, { size: data.length })).toBeUndefined();
  });

  it('a resumed write whose prefix hash is wrong fails its checksum and publishes nothing', async () => {
    const { accessor } = fresh();
    const data = testBytes(4 * BLOCK, 'wrong-prefix');
    const saved = await interrupted(accessor, 'w.bin', data, 2 * BLOCK + 10);
    const state = saved.at(-1)!;
    const offset = (await accessor.resumeOffset('w.bin', state, { size: data.length }))!;
    const hashes = createPrefixHashes(['md5']);
    hashes.md5!.update(Buffer.alloc(offset)); // not the bytes that were staged
    await expect(
      accessor.write('w.bin', data.subarray(offset), {
        size: data.length,
        checksum: { algorithm: 'md5', value: md5(data) },
        resume: { state, offset, hashes, save: async () => {} },
      }),
    ).rejects.toThrow(/mismatch/);
    expect(await accessor.exists('w.bin')).toBe(false);
  });

  it('counts only the run of whole blocks from block 0 (a hole or a short block ends it)', async () => {
    const { accessor, prefix } = fresh();
    const data = testBytes(8 * BLOCK, 'holes');
    const state = (await interrupted(accessor, 'h.bin', data, 7 * BLOCK + 10)).at(-1)!;
    expect(await accessor.resumeOffset('h.bin', state, { size: data.length })).toBe(7 * BLOCK);
    const client = accessor.containerClient.getBlockBlobClient(`${prefix}/h.bin`);
    const id = (index: number) =>
      Buffer.from(`${state.nonce as string}-${String(index).padStart(6, '0')}`).toString('base64');
    // A block restaged shorter (as another writer of the same id could): the run ends before it.
    await client.stageBlock(id(3), Buffer.alloc(10), 10);
    expect(await accessor.resumeOffset('h.bin', state, { size: data.length })).toBe(3 * BLOCK);
    // Never past the whole blocks of the file being written.
    expect(await accessor.resumeOffset('h.bin', state, { size: 2 * BLOCK + 1 })).toBe(2 * BLOCK);
  });

  it('refuses states it did not write, and blobs without the upload', async () => {
    const { accessor } = fresh();
    const data = testBytes(3 * BLOCK, 'strict');
    const state = (await interrupted(accessor, 's.bin', data, 2 * BLOCK + 10)).at(-1)!;
    const size = data.length;
    expect(await accessor.resumeOffset('s.bin', state, { size })).toBe(2 * BLOCK);
    const bad: ResumeState[] = [
      {},
      { ...state, version: 2 },
      { ...state, nonce: 'not-hex-not-hex-not-hex!' },
      { ...state, nonce: `${state.nonce as string}0` },
      { ...state, nonce: '../../../../etc/passwd' },
      { ...state, nonce: 'a'.repeat(24) },
      { ...state, blockSize: 0 },
      { ...state, blockSize: BLOCK / 2 },
      { ...state, blockSize: 1.5 },
      { ...state, blockSize: 5000 * 1024 * 1024 },
      { ...state, blockSize: String(BLOCK) },
      { ...state, offset: -1 },
    ];
    for (const candidate of bad)
      expect(await accessor.resumeOffset('s.bin', candidate, { size })).toBeUndefined();
    // Another blob's name, a missing folder, the root.
    expect(await accessor.resumeOffset('other.bin', state, { size })).toBeUndefined();
    expect(await accessor.resumeOffset('missing/s.bin', state, { size })).toBeUndefined();
    expect(await accessor.resumeOffset('', state, { size })).toBeUndefined();
    // More than 50,000 blocks of that size cannot hold the file.
    expect(await accessor.resumeOffset('s.bin', state, { size: 50_001 * BLOCK })).toBeUndefined();
    // A write refuses them as well, before sending anything.
    await rejectsWith(
      accessor.write('s.bin', 'x', { resume: { state: { nonce: 'x' }, offset: 0, save: async () => {} } }),
      AccessorOperationFailedError,
    );
    await rejectsWith(
      accessor.write('s.bin', 'x', { resume: { state, offset: BLOCK + 1, save: async () => {} } }),
      AccessorOperationFailedError,
    );
  });

  it("discardResume replaces the upload's blocks by 1-byte ones and leaves other uploads alone", async () => {
    const { accessor, prefix } = fresh();
    const data = testBytes(5 * BLOCK, 'discard');
    const mine = (await interrupted(accessor, 'd.bin', data, 3 * BLOCK + 10)).at(-1)!;
    const theirs = (await interrupted(accessor, 'd.bin', data, 2 * BLOCK + 10)).at(-1)!;
    expect(mine.nonce).not.toBe(theirs.nonce);
    await accessor.discardResume('d.bin', mine);
    expect(await accessor.resumeOffset('d.bin', mine, { size: data.length })).toBeUndefined();
    expect(await accessor.resumeOffset('d.bin', theirs, { size: data.length })).toBe(2 * BLOCK);
    const blocks = await uncommitted(accessor, prefix, 'd.bin');
    const sizes = blocks.map((block) => block.size).sort((a, b) => a - b);
    expect(sizes).toEqual([1, 1, 1, BLOCK, BLOCK]);
    // Nothing appeared, and discarding again or what is not there does not throw.
    expect(await accessor.exists('d.bin')).toBe(false);
    await accessor.discardResume('d.bin', mine);
    await accessor.discardResume('nothing.bin', mine);
    await accessor.discardResume('d.bin', { nonce: 'nope' });
  });

  it('overwrite false still holds at the commit of a resumed write', async () => {
    const { accessor } = fresh();
    const data = testBytes(4 * BLOCK, 'exclusive');
    const state = (await interrupted(accessor, 'x.bin', data, 2 * BLOCK + 10)).at(-1)!;
    const offset = (await accessor.resumeOffset('x.bin', state, { size: data.length }))!;
    const hashes = createPrefixHashes(['md5']);
    hashes.md5!.update(data.subarray(0, offset));
    // Another writer publishes while this one is resuming (after its existence check).
    let published = false;
    const rest = async function* () {
      for (const chunk of chunks(data.subarray(offset), BLOCK / 2)) {
        if (!published) {
          published = true;
          await accessor.containerClient
            .getBlockBlobClient(`${accessor.rootPrefix}x.bin`)
            .upload(Buffer.from('winner'), 6);
        }
        yield chunk;
      }
    };
    await rejectsWith(
      accessor.write('x.bin', Readable.from(rest()), {
        size: data.length,
        overwrite: false,
        resume: { state, offset, hashes, save: async () => {} },
      }),
      AccessorResourceExistsError,
    );
    expect((await readAll(await accessor.createReadStream('x.bin'))).toString()).toBe('winner');
  });
});
