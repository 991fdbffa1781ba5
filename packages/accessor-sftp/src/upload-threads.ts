import { Worker } from 'node:worker_threads';
import { AccessorOperationFailedError, OperationAbortedError, type WriteResult } from '@stowage/core';
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
  checksums: string[];
  /** Larger files are declined: they stay on the main thread's resumable path. */
  maxBytes: number;
}

export type UploadReply =
  | { id: number; result: WriteResult }
  /** The local file is missing, not a file, or larger than maxBytes: nothing was written. */
  | { id: number; declined: true }
  | { id: number; error: ThreadError }
  | { id: number; closed: true };

interface Thread {
  worker: Worker;
  pending: Map<number, (reply: UploadReply | undefined) => void>;
}

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
  private readonly threads: Thread[] = [];
  private nextId = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: SftpAccessorOptions,
    readonly count: number,
  ) {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`UploadThreads needs a whole number of threads >= 1, not ${count}.`);
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
    const thread = this.pick();
    const id = this.nextId++;
    const onAbort = () => thread.worker.postMessage({ kind: 'abort', id });
    signal?.addEventListener('abort', onAbort, { once: true });
    let reply: UploadReply | undefined;
    try {
      reply = await this.request(thread, id, { ...job, kind: 'upload', id } satisfies UploadJob);
    } finally {
      signal?.removeEventListener('abort', onAbort);
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

  /** Close every thread's connections, then stop the threads. */
  close(): Promise<void> {
    this.closing ??= Promise.all(
      this.threads.map(async (thread) => {
        const id = this.nextId++;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.request(thread, id, { kind: 'close', id }),
          new Promise((resolve) => {
            timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(timer);
        await thread.worker.terminate();
      }),
    ).then(() => {});
    return this.closing;
  }

  /** Threads running now (for tests and diagnostics). */
  get threadCount(): number {
    return this.threads.length;
  }

  private request(thread: Thread, id: number, message: object): Promise<UploadReply | undefined> {
    return new Promise((resolve) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, resolve);
      thread.worker.postMessage(message);
    });
  }

  private pick(): Thread {
    let best: Thread | undefined;
    for (const thread of this.threads) if (!best || thread.pending.size < best.pending.size) best = thread;
    if (best && (best.pending.size === 0 || this.threads.length >= this.count)) return best;
    return this.start();
  }

  private start(): Thread {
    // The threads share the pool size: together they open no more connections than poolSize.
    const poolSize = Math.max(1, Math.ceil((this.options.poolSize ?? DEFAULT_POOL_SIZE) / this.count));
    const worker = new Worker(workerUrl(), {
      workerData: { options: { ...this.options, poolSize } },
      // A thread inherits the process's flags; --input-type (a `node -e` script) fails a file thread.
      execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
    });
    worker.unref();
    const thread: Thread = { worker, pending: new Map() };
    const settle = (id: number, reply: UploadReply | undefined) => {
      const resolve = thread.pending.get(id);
      if (!resolve) return;
      thread.pending.delete(id);
      if (thread.pending.size === 0) worker.unref();
      resolve(reply);
    };
    worker.on('message', (reply: UploadReply) => settle(reply.id, reply));
    const fail = () => {
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads.splice(index, 1);
      for (const id of [...thread.pending.keys()]) settle(id, undefined);
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.threads.push(thread);
    return thread;
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
