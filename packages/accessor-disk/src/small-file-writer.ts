import { Worker } from 'node:worker_threads';
import type { Checksums, ExpectedChecksum } from '@stowage/core';

/**
 * The thread's side: a whole small-file publish as one synchronous job
 * (realpath of the folder, confinement, hashes, temp file create, write,
 * fsync, close, rename or link + unlink). On the main thread the same steps
 * are seven thread-pool round trips and as many promises; here they are one
 * message each way. A failed job removes its temp file and hands the bytes
 * back, so the caller can redo the write on the ordinary path, which then
 * reports the failure in its typed errors.
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
parentPort.on('message', (job) => {
  let stage = 'folder';
  let temp;
  let fd;
  const failed = (extra) => parentPort.postMessage({ id: job.id, stage, data: job.data, ...extra }, [job.data]);
  try {
    if (!inside(job.realPrefix, fs.realpathSync(job.folder))) return failed({ outside: true });
    const data = new Uint8Array(job.data);
    const digests = {};
    for (const algorithm of job.algorithms) digests[algorithm] = crypto.createHash(algorithm).update(data).digest('hex');
    const expected = job.expected && digests[job.expected.algorithm];
    if (expected !== undefined && expected !== job.expected.value) {
      stage = 'integrity';
      return failed({ digests });
    }
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
    parentPort.postMessage({ id: job.id, digests });
  } catch (error) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
    if (temp !== undefined) try { fs.unlinkSync(temp); } catch {}
    failed({ code: error && error.code, message: String(error && error.message) });
  }
});
`;

export interface SmallFileJob {
  /** Real root of the accessor: the folder must resolve inside it. */
  realPrefix: string;
  /** Folder of the target (lexically confined already). */
  folder: string;
  name: string;
  tempName: string;
  /** The whole file; moved to the thread (the caller's view becomes empty until a failure hands it back). */
  data: Uint8Array<ArrayBuffer>;
  fsync: boolean;
  overwrite: boolean;
  /** Hashes to compute (Node names). */
  algorithms: ExpectedChecksum['algorithm'][];
  /** Refuse to publish when this one differs (value lower-case). */
  expected?: ExpectedChecksum | undefined;
}

export type SmallFileOutcome =
  | { ok: true; digests: Checksums }
  | {
      ok: false;
      /** Where it stopped: nothing was published before 'publish' failed either. */
      stage: 'folder' | 'integrity' | 'write' | 'publish' | 'thread';
      /** The bytes, back from the thread (absent when the thread died). */
      data?: Uint8Array<ArrayBuffer>;
      digests?: Checksums;
      code?: string;
    };

interface Slot {
  worker: Worker;
  pending: Map<number, (outcome: SmallFileOutcome) => void>;
}

/** Counters for diagnostics and tests: how many small writes took the thread, and how many fell back. */
export interface SmallFileWriterStats {
  jobs: number;
  published: number;
  fallbacks: number;
}

/**
 * A few threads that publish small files synchronously. Jobs go to the thread
 * with the fewest in flight, so one stuck on a hung mount does not hold the
 * others up (as with libuv's pool). Threads start on first use and only keep
 * the process alive while they have jobs.
 */
export class SmallFileWriter {
  readonly stats: SmallFileWriterStats = { jobs: 0, published: 0, fallbacks: 0 };
  private readonly slots: Slot[] = [];
  private nextId = 0;

  constructor(readonly threads: number) {}

  write(job: SmallFileJob): Promise<SmallFileOutcome> {
    const slot = this.pick();
    const id = this.nextId++;
    this.stats.jobs++;
    return new Promise<SmallFileOutcome>((resolve) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, (outcome) => {
        if (outcome.ok) this.stats.published++;
        else this.stats.fallbacks++;
        resolve(outcome);
      });
      const { data, ...rest } = job;
      slot.worker.postMessage({ ...rest, id, data: data.buffer }, [data.buffer]);
    });
  }

  /** Stop the threads (tests); jobs in flight end as 'thread' failures. */
  async close(): Promise<void> {
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private pick(): Slot {
    let best: Slot | undefined;
    for (const slot of this.slots) if (!best || slot.pending.size < best.pending.size) best = slot;
    if (best && (best.pending.size === 0 || this.slots.length >= this.threads)) return best;
    return this.start();
  }

  private start(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    const settle = (id: number, outcome: SmallFileOutcome) => {
      const resolve = slot.pending.get(id);
      if (!resolve) return;
      slot.pending.delete(id);
      if (slot.pending.size === 0) worker.unref();
      resolve(outcome);
    };
    worker.on(
      'message',
      (message: { id: number; digests?: Checksums; stage?: string; data?: ArrayBuffer; code?: string }) => {
        if (message.stage === undefined) settle(message.id, { ok: true, digests: message.digests ?? {} });
        else
          settle(message.id, {
            ok: false,
            stage: message.stage as Exclude<SmallFileOutcome, { ok: true }>['stage'],
            ...(message.data ? { data: new Uint8Array(message.data) } : {}),
            ...(message.digests ? { digests: message.digests } : {}),
            ...(message.code ? { code: message.code } : {}),
          });
      },
    );
    const fail = () => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      for (const id of [...slot.pending.keys()]) settle(id, { ok: false, stage: 'thread' });
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.slots.push(slot);
    return slot;
  }
}

const writers = new Map<number, SmallFileWriter>();

/** The process's writer with this many threads (shared by every DiskAccessor that asks for it). */
export function sharedSmallFileWriter(threads: number): SmallFileWriter {
  let writer = writers.get(threads);
  if (!writer) {
    writer = new SmallFileWriter(threads);
    writers.set(threads, writer);
  }
  return writer;
}
