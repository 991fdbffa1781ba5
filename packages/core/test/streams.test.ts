import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CoalescingStream } from '../src/index.js';

async function through(chunks: Buffer[], size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks, { objectMode: false }),
    new CoalescingStream(size),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return out;
}

describe('CoalescingStream', () => {
  it('gathers small chunks into writes of at least `size` bytes, the same bytes in order', async () => {
    const chunks = Array.from({ length: 100 }, (_, index) => randomBytes(1000 + index));
    const out = await through(chunks, 16 * 1024);
    expect(Buffer.concat(out).equals(Buffer.concat(chunks))).toBe(true);
    // Every write but the last reaches the size; far fewer writes than chunks.
    for (const chunk of out.slice(0, -1)) expect(chunk.length).toBeGreaterThanOrEqual(16 * 1024);
    expect(out.length).toBeLessThan(10);
  });

  it('passes a large chunk through without copying it', async () => {
    const big = randomBytes(64 * 1024);
    const out = await through([big], 16 * 1024);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(big);
  });

  it('writes nothing for an empty source', async () => {
    expect(await through([], 1024)).toEqual([]);
  });
});
