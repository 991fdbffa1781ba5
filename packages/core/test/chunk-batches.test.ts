import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readInBatches } from '../src/index.js';

const KiB = 1024;

describe('readInBatches', () => {
  it('hands over the chunks as they came (no copies), in order, in batches of about batchBytes', async () => {
    const chunks = Array.from({ length: 50 }, () => randomBytes(10 * KiB));
    const batches: Buffer[][] = [];
    await readInBatches(Readable.from(chunks, { objectMode: false }), {
      batchBytes: 64 * KiB,
      maxChunks: 1024,
      onBatch: async (batch, length) => {
        expect(length).toBe(batch.reduce((sum, chunk) => sum + chunk.length, 0));
        batches.push(batch);
      },
    });
    const flat = batches.flat();
    expect(flat).toHaveLength(chunks.length);
    // The same Buffer objects: nothing joined or copied.
    for (const [index, chunk] of flat.entries()) expect(chunk).toBe(chunks[index]);
    // Every batch but the last reaches the size.
    for (const batch of batches.slice(0, -1))
      expect(batch.reduce((sum, chunk) => sum + chunk.length, 0)).toBeGreaterThanOrEqual(64 * KiB);
    expect(batches.length).toBeLessThan(10);
  });

  it('caps a batch at maxChunks', async () => {
    const chunks = Array.from({ length: 10 }, () => randomBytes(100));
    const sizes: number[] = [];
    await readInBatches(Readable.from(chunks, { objectMode: false }), {
      batchBytes: 1024 * KiB,
      maxChunks: 3,
      onBatch: async (batch) => {
        sizes.push(batch.length);
      },
    });
    expect(sizes).toEqual([3, 3, 3, 1]);
  });

  it('writes one batch at a time and pauses the stream while the next one is full', async () => {
    const source = new PassThrough();
    let inFlight = 0;
    let most = 0;
    let release: (() => void) | undefined;
    const firstStarted = new Promise<void>((started) => {
      release = started;
    });
    let gate: (() => void) | undefined;
    const done = readInBatches(source, {
      batchBytes: 4,
      maxChunks: 1024,
      onBatch: async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        release?.();
        await new Promise<void>((resolve) => {
          gate = resolve;
        });
        inFlight--;
      },
    });
    source.write(Buffer.from('abcd'));
    await firstStarted;
    source.write(Buffer.from('efgh'));
    await new Promise((resolve) => setImmediate(resolve));
    // The second batch is full while the first is written: the stream waits.
    expect(source.isPaused()).toBe(true);
    source.end();
    gate?.();
    await new Promise((resolve) => setImmediate(resolve));
    gate?.();
    await done;
    expect(most).toBe(1);
  });

  it('resolves at once for an empty stream', async () => {
    let calls = 0;
    await readInBatches(Readable.from([], { objectMode: false }), {
      batchBytes: 1024,
      maxChunks: 8,
      onBatch: async () => {
        calls++;
      },
    });
    expect(calls).toBe(0);
  });

  it('rejects with the stream error', async () => {
    async function* broken() {
      yield Buffer.from('abc');
      throw new Error('connection reset');
    }
    await expect(
      readInBatches(Readable.from(broken(), { objectMode: false }), {
        batchBytes: 1024,
        maxChunks: 8,
        onBatch: async () => {},
      }),
    ).rejects.toThrow('connection reset');
  });

  it('rejects with a write error and destroys the stream', async () => {
    const source = new PassThrough();
    const done = readInBatches(source, {
      batchBytes: 2,
      maxChunks: 8,
      onBatch: async () => {
        throw new Error('disk full');
      },
    });
    source.write(Buffer.from('abcd'));
    await expect(done).rejects.toThrow('disk full');
    expect(source.destroyed).toBe(true);
  });

  it('rejects when the stream is destroyed before its end (premature close)', async () => {
    const source = new PassThrough();
    const done = readInBatches(source, { batchBytes: 1024, maxChunks: 8, onBatch: async () => {} });
    source.write(Buffer.from('abc'));
    source.destroy();
    await expect(done).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
