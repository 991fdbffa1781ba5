import type { FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { type Checksums, type ExpectedChecksum, isHashSupported } from '@stowage/core';

/**
 * The hashing thread: reads [hashed, available) of the file descriptor it is
 * given (threads share the process's descriptors) in 1 MiB reads and feeds the
 * hashes. Synchronous reads are fine here: this thread does nothing else.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { createHash } = require('node:crypto');
const hashes = workerData.algorithms.map((algorithm) => [algorithm, createHash(algorithm)]);
const buffer = Buffer.allocUnsafe(1024 * 1024);
let hashed = 0;
parentPort.on('message', (message) => {
  try {
    while (hashed < message.available) {
      const length = Math.min(buffer.length, message.available - hashed);
      const read = readSync(workerData.fd, buffer, 0, length, hashed);
      if (read === 0) throw new Error('The temp file ends at ' + hashed + ' bytes, before the written prefix.');
      const chunk = buffer.subarray(0, read);
      for (const [, hash] of hashes) hash.update(chunk);
      hashed += read;
    }
    if (message.finish) {
      const digests = {};
      for (const [algorithm, hash] of hashes) digests[algorithm] = hash.digest('hex');
      parentPort.postMessage({ digests, hashed });
    }
  } catch (error) {
    parentPort.postMessage({ error: error.message, code: error.code });
  }
});
`;

/**
 * Hashes a range writer's temp file from byte 0 as the finished prefix grows,
 * while later ranges are still downloading, so `commit` only waits for the
 * last ranges (Azure's Content-MD5 check read the whole GiB back after the
 * download: 1.7 s per GiB here). The hashing runs on its own thread: the main
 * thread is busy parsing the download's HTTP. Memory: one 1 MiB buffer.
 */
export class PrefixHasher {
  readonly algorithms: ExpectedChecksum['algorithm'][];
  private readonly worker: Worker;
  /** The worker's one answer: the digests (after finish) or a failure, whichever comes first. */
  private readonly settled: Promise<{ digests?: Checksums; hashed?: number; error?: string; code?: string }>;
  private available = 0;
  private stopped = false;

  constructor(handle: FileHandle, algorithms: ExpectedChecksum['algorithm'][]) {
    this.algorithms = algorithms.filter(isHashSupported);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { fd: handle.fd, algorithms: this.algorithms },
    });
    // Never what keeps a process alive: commit and abort end it anyway.
    this.worker.unref();
    this.settled = new Promise((resolve) => {
      this.worker.once('message', resolve);
      this.worker.once('error', (error) => resolve({ error: error.message }));
      this.worker.once('exit', () => resolve({ error: 'The hashing thread ended.' }));
    });
  }

  /** Bytes [0, offset) are written: hash them in the background. */
  advance(offset: number): void {
    if (offset <= this.available || this.stopped) return;
    this.available = offset;
    this.worker.postMessage({ available: offset });
  }

  /** The digests of bytes [0, size), after hashing whatever is left. */
  async finish(size: number): Promise<Checksums> {
    if (this.stopped) throw new Error('The hasher was stopped before the whole file was hashed.');
    this.worker.postMessage({ available: size, finish: true });
    try {
      const result = await this.settled;
      if (result.error !== undefined)
        throw Object.assign(new Error(result.error), result.code ? { code: result.code } : {});
      if (result.hashed !== size) throw new Error(`Hashed ${result.hashed} of ${size} bytes.`);
      return result.digests ?? {};
    } finally {
      await this.stop();
    }
  }

  /** Stop hashing (abort or done): ends the thread before the handle closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.worker.terminate();
  }
}
