import { Worker } from 'node:worker_threads';
import {
  AccessorOperationFailedError,
  type ExpectedChecksum,
  OperationAbortedError,
  WorkerSlots,
  type WriteResult,
} from '@stowage/core';
import { DEFAULT_POOL_SIZE } from './connection-pool.js';
import type { SftpAccessorOptions } from './options.js';
import { fromThreadError, type ThreadError } from './thread-errors.js';

/** A local file to write under `target`, on an upload thread. */
export interface UploadJob {
  kind: 'upload';
  id: number;
  /** Local path of the source (the caller confined it). */
  path: string;
  /** Target resource identifier. */
  target: string;
  overwrite: boolean;
  checksums: ExpectedChecksum['algorithm'][];
  /** Larger files are declined: they stay on the main thread's resumable path. */
  maxBytes: number;
}

export type UploadReply =
  | { id: number; result: WriteResult }
  /** The local file is missing, not a file, or larger than maxBytes: nothing was written. */
  | { id: number; declined: true }
  | { id: number; error: ThreadError }
  | { id: number; closed: true };

/** Milliseconds a closing thread gets to close its connections before it is stopped. */
const CLOSE_TIMEOUT_MS = 5000;

/**
 * A few threads, each with its own SftpAccessor and connections, that write
 * local files to the server. On the main thread an upload of local frames is
 * bound by ssh2's per-packet work (copies, padding, encryption, one socket
 * write per 32 KiB packet): 1,000 frames of 1 MiB kept it busy for the whole
 * transfer. Here that work runs beside the main thread, which keeps only the
 * bookkeeping (structure, registry). Threads start on first use and keep the
 * process alive only while they have uploads.
 */
export class UploadThreads {
  private readonly slots: WorkerSlots<UploadReply>;
  private closing: Promise<void> | undefined;

  constructor(
    options: SftpAccessorOptions,
    readonly count: number,
  ) {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`UploadThreads needs a whole number of threads >= 1, not ${count}.`);
    // The threads share the pool size: together they open no more connections than poolSize.
    const poolSize = Math.max(1, Math.ceil((options.poolSize ?? DEFAULT_POOL_SIZE) / count));
    this.slots = new WorkerSlots(
      count,
      () =>
        new Worker(workerUrl(), {
          workerData: { options: { ...options, poolSize } },
          // A thread inherits the process's flags; --input-type (a `node -e` script) fails a file thread.
          execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
        }),
    );
  }

  /**
   * Write the local file `path` under `target` on a thread: its WriteResult,
   * or undefined when the thread declined it (see UploadReply). An abort
   * stops the thread's write, and this waits until the thread has removed
   * its temp file.
   */
  async upload(job: Omit<UploadJob, 'kind' | 'id'>, signal?: AbortSignal): Promise<WriteResult | undefined> {
    if (signal?.aborted) throw new OperationAbortedError(undefined, { cause: signal.reason });
    if (this.closing)
      throw new AccessorOperationFailedError({
        operation: 'write',
        resourceIdentifier: job.target,
        message: 'The SFTP accessor is closed.',
      });
    let onAbort: (() => void) | undefined;
    let reply: UploadReply | undefined;
    try {
      reply = await this.slots.run(
        { ...job, kind: 'upload' },
        {
          posted: (post, id) => {
            onAbort = () => post({ kind: 'abort', id });
            signal?.addEventListener('abort', onAbort, { once: true });
          },
        },
      );
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
    if (!reply)
      throw new AccessorOperationFailedError({
        operation: 'write',
        resourceIdentifier: job.target,
        message: `The SFTP upload thread ended during the write of ${JSON.stringify(job.target)}.`,
        transient: true,
      });
    if ('declined' in reply) return undefined;
    if ('error' in reply) {
      const error = fromThreadError(reply.error);
      if (signal?.aborted && !(error instanceof OperationAbortedError))
        throw new OperationAbortedError(undefined, { cause: error });
      throw error;
    }
    if ('result' in reply) return reply.result;
    return undefined;
  }

  /** Close every thread's connections (each gets CLOSE_TIMEOUT_MS), then stop the threads. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.slots.each({ kind: 'close' }),
        new Promise((resolve) => {
          timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      await this.slots.terminate();
    })();
    return this.closing;
  }

  /** Threads running now (for tests and diagnostics). */
  get threadCount(): number {
    return this.slots.count;
  }
}

/**
 * The thread's script: beside this module in the build. Tests run this
 * module from its TypeScript source, where Node cannot load a thread, so
 * they use the built one (`npm test` builds first).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../dist/upload-worker.js', here)
    : new URL('./upload-worker.js', here);
}
