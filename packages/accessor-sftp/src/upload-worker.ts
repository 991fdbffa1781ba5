// An SFTP upload thread (see upload-threads.ts): its own SftpAccessor, with
// its own connections, writes local files the main thread names. Every
// write is the accessor's ordinary `write` (temp name, pipelined WRITEs,
// create-only publish), so the result and the errors are the same as on the
// main thread; only the SSH work (packets, encryption, socket writes) moves
// off it.
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { WHOLE_READ_BYTES, type WriteResult } from '@stowage/core';
import type { SftpAccessorOptions } from './options.js';
import { SftpAccessor } from './sftp-accessor.js';
import { type ThreadError, toThreadError } from './thread-errors.js';
import type { UploadJob, UploadReply } from './upload-threads.js';

const port = parentPort!;
const accessor = new SftpAccessor({ ...(workerData.options as SftpAccessorOptions), uploadThreads: 0 });
const running = new Map<number, AbortController>();

port.on('message', (message: UploadJob | { kind: 'abort'; id: number } | { kind: 'close'; id: number }) => {
  if (message.kind === 'abort') running.get(message.id)?.abort();
  else if (message.kind === 'close')
    void accessor
      .close()
      .finally(() => port.postMessage({ id: message.id, closed: true } satisfies UploadReply));
  else void upload(message).then((reply) => port.postMessage(reply));
});

async function upload(job: UploadJob): Promise<UploadReply> {
  const controller = new AbortController();
  running.set(job.id, controller);
  let fd: number | undefined;
  let stream: Readable | undefined;
  try {
    // Anything odd about the local file (missing, a folder, too large to
    // leave the resumable path) is declined before a byte moves: the main
    // thread then takes its ordinary path, which reports it as the source's
    // own typed error. The small reads are synchronous: on this thread, which
    // does nothing else, each async call would cost a thread-pool round trip
    // (0.85 s of 5 s for 1,000 frames in a profile) for a read that takes
    // microseconds from the page cache.
    let size: number;
    try {
      fd = openSync(job.path, 'r');
      const info = fstatSync(fd);
      if (!info.isFile() || info.size > job.maxBytes) return { id: job.id, declined: true };
      size = info.size;
    } catch {
      return { id: job.id, declined: true };
    }
    // Up to core's whole-read size, bytes in hand: no stream per file.
    let source: Buffer | Readable;
    if (size <= WHOLE_READ_BYTES) source = readWhole(fd, size);
    else {
      // The stream owns the descriptor from here (and closes it when destroyed).
      source = stream = createReadStream('', { fd, highWaterMark: WHOLE_READ_BYTES });
      fd = undefined;
    }
    const result: WriteResult = await accessor.write(job.target, source, {
      size,
      overwrite: job.overwrite,
      checksums: job.checksums,
      signal: controller.signal,
    });
    return { id: job.id, result };
  } catch (error) {
    return { id: job.id, error: toThreadError(error) satisfies ThreadError };
  } finally {
    running.delete(job.id);
    // A write that failed before it read the stream leaves it open.
    stream?.destroy();
    if (fd !== undefined) closeSync(fd);
  }
}

/** The file read one byte past its size: one that grew since the fstat fails the write's size check. */
function readWhole(fd: number, size: number): Buffer {
  const data = Buffer.allocUnsafe(size + 1);
  let filled = 0;
  while (filled < data.length) {
    const count = readSync(fd, data, filled, data.length - filled, filled);
    if (count === 0) break;
    filled += count;
  }
  return data.subarray(0, filled);
}
