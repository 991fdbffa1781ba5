import { Worker } from 'node:worker_threads';
import type { Checksums, ExpectedChecksum } from './streams.js';
import { WorkerSlots } from './worker-slots.js';

/**
 * The threads' side: a whole small-file read or publish as one synchronous
 * job. On the main thread the same steps are four (read: open, fstat, read,
 * close) or seven (publish: realpath, open, write, fsync, close, link,
 * unlink) thread-pool round trips, each a cross-thread wake-up and a promise;
 * here they are one message each way. Measured on the 2-vCPU VM, 2,000 reads
 * of 4 KiB at concurrency 8: 171-274 us per file async, 44-60 us here.
 *
 * A failed publish removes its temp file and hands the bytes back, so the
 * caller can redo the write on its ordinary path, which then reports the
 * failure as its typed error. Every reply hands the bytes back: these threads
 * allocate too little to collect them soon (300 one-MiB frames held 150 MiB).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
function inside(root, real) {
  const rel = path.relative(root, real);
  return !(rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel));
}
// The file behind fd, read one byte past its fstat size: a file that grew
// since the fstat shows as filled > size, as a stream read to its end would.
function readWhole(fd, size) {
  const data = new Uint8Array(new ArrayBuffer(size + 1));
  let filled = 0;
  while (filled < data.length) {
    const count = fs.readSync(fd, data, filled, data.length - filled, filled);
    if (count === 0) break;
    filled += count;
  }
  return { buffer: data.buffer, filled };
}
// The descriptor is closed before the reply: once openRead returns, this thread holds none of the file.
function read(job) {
  let fd;
  let reply;
  let transfer = [];
  try {
    fd = fs.openSync(job.path, 'r');
    const stats = fs.fstatSync(fd);
    reply = { id: job.id, size: stats.size, modified: stats.mtimeMs, inode: stats.ino, isDirectory: stats.isDirectory() };
    if (!reply.isDirectory && stats.size <= job.maxBytes) {
      const { buffer, filled } = readWhole(fd, stats.size);
      reply = { ...reply, data: buffer, filled };
      transfer = [buffer];
    }
  } catch (error) {
    reply = { id: job.id, code: error && error.code, message: String(error && error.message) };
  } finally {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
  }
  parentPort.postMessage(reply, transfer);
}
function publish(job) {
  let stage = 'folder';
  let temp;
  let fd;
  const reply = (extra) => parentPort.postMessage({ id: job.id, data: job.data, ...extra }, [job.data]);
  try {
    if (!inside(job.realPrefix, fs.realpathSync(job.folder))) return reply({ stage, outside: true });
    const data = new Uint8Array(job.data, 0, job.length ?? job.data.byteLength);
    const digests = {};
    for (const algorithm of job.algorithms) digests[algorithm] = crypto.createHash(algorithm).update(data).digest('hex');
    const actual = job.expected && digests[job.expected.algorithm];
    if (actual !== undefined && actual !== job.expected.value) return reply({ stage: 'integrity', digests });
    stage = 'write';
    temp = path.join(job.folder, job.tempName);
    fd = fs.openSync(temp, 'wx');
    for (let offset = 0; offset < data.length; ) offset += fs.writeSync(fd, data, offset, data.length - offset);
    if (job.fsync) fs.fsyncSync(fd);
    const closing = fd;
    fd = undefined;
    fs.closeSync(closing);
    stage = 'publish';
    const target = path.join(job.folder, job.name);
    if (job.overwrite) fs.renameSync(temp, target);
    else {
      fs.linkSync(temp, target);
      const published = temp;
      temp = undefined;
      // Published already: a temp name that cannot be dropped is only litter.
      try { fs.unlinkSync(published); } catch {}
    }
    temp = undefined;
    reply({ digests, published: true, size: data.length });
  } catch (error) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
    if (temp !== undefined) try { fs.unlinkSync(temp); } catch {}
    reply({ stage, code: error && error.code, message: String(error && error.message) });
  }
}
function copy(job) {
  // The source whole (small files only), then the same publish as a written file.
  let fd;
  let whole;
  let size;
  try {
    fd = fs.openSync(job.from, 'r');
    const stats = fs.fstatSync(fd);
    size = stats.size;
    if (!stats.isFile() || size > job.maxBytes) return parentPort.postMessage({ id: job.id, stage: 'source' });
    whole = readWhole(fd, size);
    // Changed while read: the caller's streamed copy decides what that means.
    if (whole.filled !== size) return parentPort.postMessage({ id: job.id, stage: 'source' });
  } catch (error) {
    return parentPort.postMessage({ id: job.id, stage: 'source', code: error && error.code, message: String(error && error.message) });
  } finally {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
  }
  publish({ ...job, data: whole.buffer, length: size });
}
function lock(job) {
  // Lock files created exclusively, holding job.owner; a taken one reports its holder.
  const results = job.files.map((file) => {
    let fd;
    try {
      fd = fs.openSync(file, 'wx', 0o600);
    } catch (error) {
      if (!error || error.code !== 'EEXIST') return { code: error && error.code, message: String(error && error.message) };
      try { return { holder: fs.readFileSync(file, 'utf8') }; } catch { return { holder: '' }; }
    }
    try {
      fs.writeSync(fd, job.owner);
      return { taken: true };
    } catch (error) {
      try { fs.unlinkSync(file); } catch {}
      return { code: error && error.code, message: String(error && error.message) };
    } finally {
      try { fs.closeSync(fd); } catch {}
    }
  });
  parentPort.postMessage({ id: job.id, results });
}
function unlock(job) {
  // Only files that still hold job.owner (a takeover may have replaced one).
  for (const file of job.files) {
    try { if (fs.readFileSync(file, 'utf8') === job.owner) fs.unlinkSync(file); } catch {}
  }
  parentPort.postMessage({ id: job.id });
}
const jobs = { read, publish, copy, lock, unlock };
parentPort.on('message', (job) => jobs[job.kind](job));
`;

export interface PublishJob {
  /** Real root of the accessor: the folder must resolve inside it. */
  realPrefix: string;
  /** Folder of the target (lexically confined already). */
  folder: string;
  name: string;
  tempName: string;
  /** The whole file; moved to the thread (empty here until the reply hands it back). */
  data: Uint8Array<ArrayBuffer>;
  fsync: boolean;
  overwrite: boolean;
  /** Hashes to compute (Node names). */
  algorithms: ExpectedChecksum['algorithm'][];
  /** Refuse to publish when this one differs (value lower-case). */
  expected?: ExpectedChecksum | undefined;
}

/** A copy of a small local file: the publish of `PublishJob` with the bytes read from `from`. */
export type CopyJob = Omit<PublishJob, 'data' | 'expected'> & {
  /** Source path (the caller confined it). */
  from: string;
  /** Larger sources are left to the caller ('source' outcome). */
  maxBytes: number;
};

export type PublishOutcome =
  | { ok: true; size: number; digests: Checksums }
  | {
      ok: false;
      /** Where it stopped; nothing was published. 'source': a copy's source is large, not a file, or unreadable. */
      stage: 'source' | 'folder' | 'integrity' | 'write' | 'publish' | 'thread';
      /** The bytes, back from the thread (absent when the thread died). */
      data?: Uint8Array<ArrayBuffer>;
      digests?: Checksums;
      code?: string;
    };

export type ReadOutcome =
  | {
      ok: true;
      size: number;
      modified: Date;
      /** The fstat's exact identity, for a later open to check it has the same file. */
      identity: { inode: number; modifiedMs: number };
      isDirectory: boolean;
      /** The whole file (and any byte past `size`), or absent: a folder, or larger than asked. */
      data?: Uint8Array<ArrayBuffer>;
    }
  /** An OS error (`code` as Node's), or the thread ended ('thread'). */
  | { ok: false; error: Error & { code?: string } };

/** One lock file of `lockFiles`: taken, held by `holder` (its text), or failed with an OS error. */
export type LockFileOutcome = { taken: true } | { holder: string } | { code?: string; message: string };

/** Counters for diagnostics and tests. */
export interface LocalFileThreadStats {
  reads: number;
  publishes: number;
  copies: number;
  published: number;
  /** Publishes and copies that did not publish (the caller redid or refused them). */
  fallbacks: number;
}

interface Reply {
  id: number;
  data?: ArrayBuffer;
  filled?: number;
  size?: number;
  modified?: number;
  inode?: number;
  isDirectory?: boolean;
  results?: LockFileOutcome[];
  digests?: Checksums;
  published?: boolean;
  stage?: string;
  code?: string;
  message?: string;
}

/**
 * A few threads that read and publish small local files synchronously. Jobs
 * go to the thread with the fewest in flight, so one stuck on a hung mount
 * does not hold the others up (as with libuv's pool). Threads start on first
 * use and keep the process alive only while they have jobs.
 */
export class LocalFileThreads {
  readonly stats: LocalFileThreadStats = { reads: 0, publishes: 0, copies: 0, published: 0, fallbacks: 0 };
  private readonly slots: WorkerSlots<Reply>;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`LocalFileThreads needs a whole number of threads >= 1, not ${threads}.`);
    this.slots = new WorkerSlots(threads, () => new Worker(WORKER_SOURCE, { eval: true }));
  }

  /** Open, fstat and (when a file of at most `maxBytes`) read a whole file. */
  async read(path: string, maxBytes: number): Promise<ReadOutcome> {
    this.stats.reads++;
    const reply = await this.run({ kind: 'read', path, maxBytes });
    if (!reply) return { ok: false, error: new Error('The local file thread ended during the read.') };
    if (reply.message !== undefined)
      return { ok: false, error: Object.assign(new Error(reply.message), { code: reply.code }) };
    return {
      ok: true,
      size: reply.size ?? 0,
      modified: new Date(reply.modified ?? 0),
      identity: { inode: reply.inode ?? 0, modifiedMs: reply.modified ?? 0 },
      isDirectory: reply.isDirectory ?? false,
      ...(reply.data ? { data: new Uint8Array(reply.data, 0, reply.filled ?? 0) } : {}),
    };
  }

  /** Publish a small file: confinement, hashes, checksum check, temp file, fsync, rename or link. */
  async publish(job: PublishJob): Promise<PublishOutcome> {
    this.stats.publishes++;
    const { data, ...rest } = job;
    return this.outcome(await this.run({ ...rest, kind: 'publish', data: data.buffer }, [data.buffer]));
  }

  private outcome(reply: Reply | undefined): PublishOutcome {
    if (reply?.published) {
      this.stats.published++;
      return { ok: true, size: reply.size ?? 0, digests: reply.digests ?? {} };
    }
    this.stats.fallbacks++;
    if (!reply) return { ok: false, stage: 'thread' };
    return {
      ok: false,
      stage: reply.stage as Exclude<PublishOutcome, { ok: true }>['stage'],
      ...(reply.data ? { data: new Uint8Array(reply.data) } : {}),
      ...(reply.digests ? { digests: reply.digests } : {}),
      ...(reply.code ? { code: reply.code } : {}),
    };
  }

  /**
   * Create lock files exclusively, each holding `owner`, in one job: for each
   * file, taken, the holder's text when it exists, or the OS error (see
   * FileCheckpointStore.lockMany). Undefined when the thread ended: some may
   * have been taken, and the caller removes the ones holding `owner`.
   */
  async lockFiles(files: string[], owner: string): Promise<LockFileOutcome[] | undefined> {
    const reply = await this.run({ kind: 'lock', files, owner });
    return reply?.results;
  }

  /** Remove the lock files that still hold `owner`, in one job; false when the thread ended first. */
  async unlockFiles(files: string[], owner: string): Promise<boolean> {
    return (await this.run({ kind: 'unlock', files, owner })) !== undefined;
  }

  /** Copy a small local file: read it whole, then publish it as `publish` does. */
  async copy(job: CopyJob): Promise<PublishOutcome> {
    this.stats.copies++;
    return this.outcome(await this.run({ ...job, kind: 'copy' }));
  }

  /** Stop the threads (tests); jobs in flight end as thread failures. */
  async close(): Promise<void> {
    await this.slots.terminate();
  }

  private run(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply | undefined> {
    return this.slots.run(message, { transfer });
  }
}

const shared = new Map<number, LocalFileThreads>();

/** The process's threads of this count (shared by every accessor that asks for it). */
export function sharedLocalFileThreads(threads: number): LocalFileThreads {
  let pool = shared.get(threads);
  if (!pool) {
    pool = new LocalFileThreads(threads);
    shared.set(threads, pool);
  }
  return pool;
}

/**
 * Default thread count of the disk and origin accessors' small-file threads:
 * libuv's pool size, so a slow filesystem (NFS) sees no fewer operations in
 * flight than with async calls. Each thread costs about 10 MiB of RSS.
 */
export const DEFAULT_SMALL_FILE_THREADS = 4;

/**
 * The small-file thread count of accessors not told otherwise:
 * STOWAGE_SMALL_FILE_THREADS (0 turns them off), else DEFAULT_SMALL_FILE_THREADS.
 */
export function defaultSmallFileThreads(): number {
  const value = process.env.STOWAGE_SMALL_FILE_THREADS;
  if (value === undefined || value === '') return DEFAULT_SMALL_FILE_THREADS;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 0)
    throw new RangeError(
      `STOWAGE_SMALL_FILE_THREADS must be a whole number >= 0, not ${JSON.stringify(value)}.`,
    );
  return threads;
}

/**
 * The shared threads an accessor's `smallFileThreads` option asks for
 * (default: defaultSmallFileThreads()), or undefined for 0.
 */
export function smallFileThreads(option: number | undefined): LocalFileThreads | undefined {
  const threads = option ?? defaultSmallFileThreads();
  if (!Number.isInteger(threads) || threads < 0)
    throw new RangeError(`smallFileThreads must be a whole number >= 0, not ${threads}.`);
  return threads > 0 ? sharedLocalFileThreads(threads) : undefined;
}
