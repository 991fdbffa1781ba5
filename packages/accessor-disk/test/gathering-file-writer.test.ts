import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { GatheringFileWriter } from '../src/gathering-file-writer.js';

const MiB = 1024 * 1024;
// Digests, not the bytes: deep equality of MiB-sized buffers takes seconds.
const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');
const tempFile = async () => join(await mkdtemp(join(tmpdir(), 'stowage-gather-')), 'f');

/** A file handle whose writev calls are counted (the file is real). */
async function countingHandle(path: string, flags: string) {
  const handle = await open(path, flags);
  const calls = { writev: 0, sync: 0, datasync: 0, closed: false };
  const writev = handle.writev.bind(handle);
  const sync = handle.sync.bind(handle);
  const datasync = handle.datasync.bind(handle);
  const close = handle.close.bind(handle);
  Object.assign(handle, {
    writev: (buffers: Buffer[], position?: number) => {
      calls.writev++;
      return writev(buffers, position);
    },
    sync: () => {
      calls.sync++;
      return sync();
    },
    datasync: () => {
      calls.datasync++;
      return datasync();
    },
    close: () => {
      calls.closed = true;
      return close();
    },
  });
  return { handle, calls };
}

/** 64 KiB pieces, as a socket yields them. */
function pieces(data: Buffer, size = 64 * 1024): Readable {
  const list: Buffer[] = [];
  for (let start = 0; start < data.length; start += size) list.push(data.subarray(start, start + size));
  return Readable.from(list);
}

describe('GatheringFileWriter', () => {
  it('writes every byte in about-1-MiB writevs, then closes the handle', async () => {
    const path = await tempFile();
    const data = randomBytes(5 * MiB + 1234);
    const { handle, calls } = await countingHandle(path, 'wx');
    const writer = new GatheringFileWriter(handle);
    await pipeline(pieces(data), writer);
    expect(md5(await readFile(path))).toBe(md5(data));
    expect(writer.bytesWritten).toBe(data.length);
    // 80 pieces of 64 KiB in 6 writes (five full MiB and the tail), not 81.
    expect(calls.writev).toBe(6);
    expect(calls.closed).toBe(true);
    expect(calls.sync).toBe(0);
  });

  it('starts at the given offset (a resumed write) and keeps the bytes before it', async () => {
    const path = await tempFile();
    const head = randomBytes(1000);
    const tail = randomBytes(3 * MiB);
    await writeFile(path, head);
    const { handle } = await countingHandle(path, 'r+');
    await pipeline(pieces(tail), new GatheringFileWriter(handle, { start: head.length }));
    expect(md5(await readFile(path))).toBe(md5(Buffer.concat([head, tail])));
  });

  it('takes strings and Uint8Arrays as bytes', async () => {
    const path = await tempFile();
    const { handle } = await countingHandle(path, 'wx');
    await pipeline(
      Readable.from(['abc', new Uint8Array([100, 101]), Buffer.from('f')]),
      new GatheringFileWriter(handle),
    );
    expect(await readFile(path, 'utf8')).toBe('abcdef');
  });

  it('with flush: fsyncs before closing, and flushes a large file while it is written', async () => {
    const path = await tempFile();
    const data = randomBytes(40 * MiB);
    const { handle, calls } = await countingHandle(path, 'wx');
    await pipeline(pieces(data, MiB), new GatheringFileWriter(handle, { flush: true }));
    expect(md5(await readFile(path))).toBe(md5(data));
    expect(calls.sync).toBe(1);
    // 40 MiB, one background flush per 16 MiB written unless one is still
    // running (a threshold reached meanwhile starts none): one or two.
    expect(calls.datasync).toBeGreaterThanOrEqual(1);
    expect(calls.datasync).toBeLessThanOrEqual(2);
    expect(calls.closed).toBe(true);
  });

  it('with flush and progressive: false, only the final fsync', async () => {
    const path = await tempFile();
    const data = randomBytes(40 * MiB);
    const { handle, calls } = await countingHandle(path, 'wx');
    await pipeline(pieces(data, MiB), new GatheringFileWriter(handle, { flush: true, progressive: false }));
    expect(md5(await readFile(path))).toBe(md5(data));
    expect(calls.sync).toBe(1);
    expect(calls.datasync).toBe(0);
  });

  it('closes the handle when the source fails, and reports the source error', async () => {
    const path = await tempFile();
    const { handle, calls } = await countingHandle(path, 'wx');
    async function* failing() {
      yield randomBytes(2 * MiB);
      throw new Error('source broke');
    }
    await expect(pipeline(Readable.from(failing()), new GatheringFileWriter(handle))).rejects.toThrow(
      'source broke',
    );
    expect(calls.closed).toBe(true);
  });
});
