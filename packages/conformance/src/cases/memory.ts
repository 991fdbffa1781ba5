import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'vitest';
import type { ConformanceCase } from '../context.js';

const MiB = 1024 * 1024;
/** Big enough that an accessor keeping the file would stand out against any budget of its chunks. */
const SIZE = 192 * MiB;
const CHUNK = MiB;

/**
 * A full garbage collection, to measure what is still held rather than what
 * is not yet collected (V8 lets ~64 MB of dead buffers pile up before it
 * collects them). Exposed at run time: the suite cannot choose node's flags.
 */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Buffer memory held now, after a full collection. */
function heldBytes(gc: () => void): number {
  gc();
  return process.memoryUsage().arrayBuffers;
}

/**
 * Memory bounded by concurrency x chunk size, never by file size: a 192 MiB
 * streamed write and read, with what the process holds measured at a quarter,
 * half and three quarters of the way. A fresh buffer per chunk, as a file
 * stream gives, so an accessor (or the HTTP client under it) that keeps the
 * chunks it sent shows: the server accessor's fetch did (nodejs/undici#4058).
 */
export const memoryCases: ConformanceCase[] = [
  {
    name: 'a streamed write and read hold a few chunks in memory, not the file',
    requires: (c, options) => c.read && c.write && options.memoryBudget !== null,
    async run({ path, accessor, memoryBudget }) {
      const gc = collector();
      const chunks = SIZE / CHUNK;
      const checkpoints = new Set([chunks / 4, chunks / 2, (chunks * 3) / 4]);
      const baseline = heldBytes(gc);
      const held: number[] = [];
      let produced = 0;
      const source = new Readable({
        highWaterMark: CHUNK,
        read() {
          if (checkpoints.has(produced)) held.push(heldBytes(gc) - baseline);
          this.push(produced < chunks ? Buffer.alloc(CHUNK, produced++ & 0xff) : null);
        },
      });
      const written = await accessor.write(path('big.bin'), source, { size: SIZE });
      expect(written.size).toBe(SIZE);
      expect(held).toHaveLength(3);

      const readBaseline = heldBytes(gc);
      let received = 0;
      let next = SIZE / 4;
      let firstByteOk = true;
      for await (const chunk of await accessor.createReadStream(path('big.bin'))) {
        const bytes = chunk as Buffer;
        // Chunk n of the source is filled with n & 0xff: check where each read chunk starts.
        if (bytes.length > 0 && bytes[0] !== (Math.floor(received / CHUNK) & 0xff)) firstByteOk = false;
        received += bytes.length;
        if (received >= next && next < SIZE) {
          held.push(heldBytes(gc) - readBaseline);
          next += SIZE / 4;
        }
      }
      expect(received).toBe(SIZE);
      expect(firstByteOk).toBe(true);
      expect(held).toHaveLength(6);
      const most = Math.max(...held);
      expect(
        most,
        `held ${(most / MiB).toFixed(1)} MiB at some point (budget ${(memoryBudget / MiB).toFixed(0)} MiB)`,
      ).toBeLessThan(memoryBudget);
    },
  },
];
