import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  AccessorIntegrityError,
  copyRanges,
  MemoryAccessor,
  type RangeWriter,
  type ReadStreamOptions,
} from '../src/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A source that sends each range in 16 KiB pieces, as a socket does. */
class SocketSizedSource extends MemoryAccessor {
  override async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}) {
    const whole = Buffer.concat(await (await super.createReadStream(resourceIdentifier, options)).toArray());
    const pieces: Buffer[] = [];
    for (let at = 0; at < whole.length; at += 16 * KiB) pieces.push(whole.subarray(at, at + 16 * KiB));
    return Readable.from(pieces);
  }
}

/** An in-memory range writer recording each write's size; with or without writeChunks. */
function memoryWriter(size: number, withChunks: boolean) {
  const file = Buffer.alloc(size);
  const writes: Array<{ kind: 'write' | 'writeChunks'; bytes: number }> = [];
  const writer: RangeWriter = {
    async write(data, position) {
      writes.push({ kind: 'write', bytes: data.length });
      file.set(data, position);
    },
    ...(withChunks
      ? {
          async writeChunks(chunks: Uint8Array[], position: number) {
            let at = position;
            for (const chunk of chunks) {
              file.set(chunk, at);
              at += chunk.length;
            }
            writes.push({ kind: 'writeChunks', bytes: at - position });
          },
        }
      : {}),
    async checkpoint(offset) {
      return { offset };
    },
    async commit() {
      return { size, checksums: {} };
    },
    async abort() {},
  };
  return { file, writes, writer };
}

describe('copyRanges', () => {
  const data = randomBytes(5 * MiB + 333);

  it.each([
    ['write (gathered into one buffer)', false],
    ['writeChunks (gathered as a list)', true],
  ])('gathers socket-sized pieces into 1 MiB writes: %s', async (_label, withChunks) => {
    const source = new SocketSizedSource();
    await source.write('f.bin', data);
    const { file, writes, writer } = memoryWriter(data.length, withChunks);
    const contiguous: number[] = [];
    await copyRanges({
      source,
      sourceResourceIdentifier: 'f.bin',
      writer,
      size: data.length,
      offset: 0,
      streams: 3,
      partSize: 2 * MiB,
      onContiguous: (offset) => contiguous.push(offset),
    });
    expect(file.equals(data)).toBe(true);
    expect(new Set(writes.map((write) => write.kind))).toEqual(
      new Set([withChunks ? 'writeChunks' : 'write']),
    );
    expect(writes.every((write) => write.bytes <= MiB)).toBe(true);
    expect(writes.filter((write) => write.bytes === MiB).length).toBe(5);
    expect(contiguous.at(-1)).toBe(data.length);
  });

  it('opens no range after an abort', async () => {
    const opened: boolean[] = [];
    const source = new (class extends SocketSizedSource {
      override async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}) {
        opened.push(options.signal?.aborted ?? false);
        return super.createReadStream(resourceIdentifier, options);
      }
    })();
    await source.write('f.bin', data);
    const { writer } = memoryWriter(data.length, true);
    const controller = new AbortController();
    await expect(
      copyRanges({
        source,
        sourceResourceIdentifier: 'f.bin',
        writer,
        size: data.length,
        offset: 0,
        streams: 3,
        partSize: 256 * KiB,
        signal: controller.signal,
        // Stopped as a part ends, while the other workers are between parts or in one.
        onContiguous: () => controller.abort(),
      }),
    ).rejects.toThrow();
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.length).toBeLessThan(data.length / (256 * KiB));
    expect(opened.filter((aborted) => aborted)).toEqual([]);
  });

  it('refuses a range that sends more bytes than it holds', async () => {
    const source = new (class extends MemoryAccessor {
      override async createReadStream() {
        return Readable.from([Buffer.alloc(3 * MiB)]);
      }
    })();
    await source.write('f.bin', data);
    const { writer } = memoryWriter(data.length, true);
    await expect(
      copyRanges({
        source,
        sourceResourceIdentifier: 'f.bin',
        writer,
        size: data.length,
        offset: 0,
        streams: 2,
        partSize: 2 * MiB,
      }),
    ).rejects.toBeInstanceOf(AccessorIntegrityError);
  });
});
