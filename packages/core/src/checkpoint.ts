import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import type { Accessor, ResourceStat } from './accessor.js';
import { smallFileThreads } from './local-file-threads.js';

/** What identifies a source's bytes without reading them all (rclone's "size, modtime" plus two hashes). */
export interface SourceFingerprint {
  size: number;
  /** ISO time, when the source reports one. */
  modified?: string;
  /** SHA-256 of the first and of the last MiB. */
  head: string;
  tail: string;
}

/** Accessor-specific progress of an interrupted write: plain JSON. */
export type ResumeState = Record<string, unknown>;

/** The state of a write into a temp file: its base name in the target's folder and the bytes known to be there. */
export interface TempFileResumeState extends ResumeState {
  temp: string;
  offset: number;
}

/**
 * A temp-file resume state when it is well formed, else undefined. It comes
 * from a file on disk, so only a base name matching the accessor's own temp
 * pattern is accepted (no separators, no `..`, never another object's name)
 * and a non-negative integer offset.
 */
export function parseTempFileResumeState(
  state: ResumeState | undefined,
  tempName: RegExp,
): TempFileResumeState | undefined {
  if (!state || typeof state !== 'object') return undefined;
  const { temp, offset } = state as { temp?: unknown; offset?: unknown };
  if (typeof temp !== 'string' || !tempName.test(temp) || /[/\\]/.test(temp) || temp === '..')
    return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return { temp, offset };
}

/**
 * Saves a resumable write's progress in the background, one save at a time
 * and in order, without holding up the transfer: progress reported while a
 * save runs replaces any waiting one (only the latest offset matters).
 * `flush` waits for the saves and throws the first failure.
 */
export class CheckpointSaver {
  private pending: number | undefined;
  private running: Promise<void> | undefined;
  private failure: unknown;
  private next: number;

  /** `interval`: how many more bytes trigger a save (1: every time the offset grows). */
  constructor(
    private readonly save: (offset: number) => Promise<void>,
    start: number,
    private readonly interval: number,
  ) {
    this.next = start + interval;
  }

  /** Bytes up to `offset` are at the target: save once it passed the next mark. */
  progress(offset: number): void {
    if (offset < this.next || this.failure !== undefined) return;
    this.next = offset + this.interval;
    this.pending = offset;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure !== undefined) throw this.failure;
  }

  private async drain(): Promise<void> {
    while (this.pending !== undefined && this.failure === undefined) {
      const offset = this.pending;
      this.pending = undefined;
      try {
        await this.save(offset);
      } catch (error) {
        this.failure = error;
      }
    }
  }
}

/** A saved, resumable write. */
export interface Checkpoint {
  version: 1;
  /** Target accessor's name, e.g. 's3': a checkpoint is never handed to another kind. */
  accessor: string;
  resourceIdentifier: string;
  source: SourceFingerprint;
  state: ResumeState;
  updatedAt: string;
}

/**
 * Where resumable writes keep their progress between processes. Keys are
 * opaque strings (the transfer engine uses location id + resource identifier).
 */
export interface CheckpointStore {
  load(key: string): Promise<Checkpoint | undefined>;
  save(key: string, checkpoint: Checkpoint): Promise<void>;
  remove(key: string): Promise<void>;
  /**
   * Exclusive use of `key` by this caller: returns a release function, or
   * undefined while another live holder has it (two processes must never
   * continue the same partial upload).
   */
  lock(key: string): Promise<(() => Promise<void>) | undefined>;
  /**
   * `lock` for many keys at once (optional: callers lock key by key
   * without it): whether each was taken, and one release for all taken. On
   * an error it releases what it took and rejects.
   */
  lockMany?(keys: string[]): Promise<{ held: boolean[]; release(): Promise<void> }>;
}

/** Checkpoints in memory: resume across retries within one process (tests, short-lived tools). */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly checkpoints = new Map<string, Checkpoint>();
  private readonly locked = new Set<string>();

  async load(key: string): Promise<Checkpoint | undefined> {
    const checkpoint = this.checkpoints.get(key);
    return checkpoint ? structuredClone(checkpoint) : undefined;
  }
  async save(key: string, checkpoint: Checkpoint): Promise<void> {
    this.checkpoints.set(key, structuredClone(checkpoint));
  }
  async remove(key: string): Promise<void> {
    this.checkpoints.delete(key);
  }
  async lock(key: string): Promise<(() => Promise<void>) | undefined> {
    if (this.locked.has(key)) return undefined;
    this.locked.add(key);
    return async () => {
      this.locked.delete(key);
    };
  }
  get size(): number {
    return this.checkpoints.size;
  }
}

/**
 * One JSON file per checkpoint in a folder, written atomically (temp + rename),
 * so a process killed mid-save leaves the previous checkpoint intact. Locks
 * are `<key>.lock` files created exclusively, holding pid and host; a lock
 * whose process is gone (same host) is taken over.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly directory: string;

  constructor(directory: string = defaultCheckpointDirectory()) {
    this.directory = directory;
  }

  private file(key: string, suffix = '.json'): string {
    return join(this.directory, `${createHash('sha256').update(key).digest('hex')}${suffix}`);
  }

  async load(key: string): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const checkpoint = JSON.parse(text) as Checkpoint;
      return checkpoint?.version === 1 ? checkpoint : undefined;
    } catch {
      return undefined; // unreadable: start over rather than fail the transfer
    }
  }

  async save(key: string, checkpoint: Checkpoint): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const file = this.file(key);
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
    await rename(temp, file);
  }

  async remove(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  /** Whether this store made (or found) its folder: a lock then skips the mkdir, one call of five. */
  private folderMade = false;

  async lock(key: string): Promise<(() => Promise<void>) | undefined> {
    if (!this.folderMade) {
      await mkdir(this.directory, { recursive: true, mode: 0o700 });
      this.folderMade = true;
    }
    const file = this.file(key, '.lock');
    const owner = `${process.pid} ${hostname()}\n`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, 'wx', 0o600).catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
          // The folder went away since: make it again.
          await mkdir(this.directory, { recursive: true, mode: 0o700 });
          return open(file, 'wx', 0o600);
        });
        await handle.writeFile(owner);
        await handle.close();
        return () => removeOwnLock(file, owner);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = await readFile(file, 'utf8').catch(() => '');
        if (!isStaleLock(holder)) return undefined;
        await rm(file, { force: true });
      }
    }
    return undefined;
  }

  /**
   * Many locks in a few jobs on the local-file threads (512 files a job):
   * 10,000 took 0.27-0.39 s to take and release here, 1.4-2.9 s key by key.
   * A lock held by a process that is gone, or a folder removed meanwhile,
   * goes through `lock` (takeover, mkdir). Without the threads
   * (STOWAGE_SMALL_FILE_THREADS=0): key by key.
   */
  async lockMany(keys: string[]): Promise<{ held: boolean[]; release(): Promise<void> }> {
    const threads = smallFileThreads(undefined);
    if (!threads) return lockKeyByKey(this, keys);
    const owner = `${process.pid} ${hostname()}\n`;
    const taken: string[] = [];
    const releases: Array<() => Promise<void>> = [];
    const release = async () => {
      const files = taken.splice(0);
      if (files.length > 0 && !(await threads.unlockFiles(files, owner)))
        await Promise.all(files.map((file) => removeOwnLock(file, owner)));
      await Promise.all(releases.splice(0).map((done) => done()));
    };
    const lockOne = async (key: string) => {
      const done = await this.lock(key);
      if (done) releases.push(done);
      return done !== undefined;
    };
    try {
      if (!this.folderMade) {
        await mkdir(this.directory, { recursive: true, mode: 0o700 });
        this.folderMade = true;
      }
      const held: boolean[] = [];
      for (let start = 0; start < keys.length; start += LOCKS_PER_JOB) {
        const batch = keys.slice(start, start + LOCKS_PER_JOB);
        const files = batch.map((key) => this.file(key, '.lock'));
        const outcomes = await threads.lockFiles(files, owner);
        // The thread ended: it may have taken some; drop them and lock key by key.
        if (!outcomes) await Promise.all(files.map((file) => removeOwnLock(file, owner)));
        const settled = await Promise.allSettled(
          batch.map(async (key, index) => {
            const outcome = outcomes?.[index];
            if (outcome && 'taken' in outcome) {
              taken.push(files[index]!);
              return true;
            }
            if (outcome && 'holder' in outcome && !isStaleLock(outcome.holder)) return false;
            // Stale, a missing folder, an error, or no thread: `lock` decides (or throws).
            return lockOne(key);
          }),
        );
        for (const result of settled) {
          if (result.status === 'rejected') throw result.reason;
          held.push(result.value);
        }
      }
      return { held, release };
    } catch (error) {
      await release();
      throw error;
    }
  }
}

/** `keys` locked in `store`: with its `lockMany` when it has one, else key by key. */
export function lockKeys(
  store: CheckpointStore,
  keys: string[],
): Promise<{ held: boolean[]; release(): Promise<void> }> {
  return store.lockMany ? store.lockMany(keys) : lockKeyByKey(store, keys);
}

/** `lock` for each key, 16 at a time; on an error, what was taken is released. */
async function lockKeyByKey(
  store: CheckpointStore,
  keys: string[],
): Promise<{ held: boolean[]; release(): Promise<void> }> {
  const releases: Array<() => Promise<void>> = [];
  const release = async () => {
    await Promise.all(releases.splice(0).map((done) => done().catch(() => {})));
  };
  const limit = pLimit(16);
  const settled = await Promise.allSettled(
    keys.map((key) =>
      limit(async () => {
        const done = await store.lock(key);
        if (done) releases.push(done);
        return done !== undefined;
      }),
    ),
  );
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    await release();
    throw failed.reason;
  }
  return { held: settled.map((result) => (result as PromiseFulfilledResult<boolean>).value), release };
}

/** Lock files per job of `lockMany` (one job holds its thread for about 40 ms here). */
const LOCKS_PER_JOB = 512;

/** Remove a lock file only while it holds `owner` (a takeover may have replaced it). */
async function removeOwnLock(file: string, owner: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => '');
  if (current === owner) await rm(file, { force: true });
}

function isStaleLock(holder: string): boolean {
  const [pid, host] = holder.trim().split(' ');
  if (!pid || host !== hostname()) return false; // another machine's lock: respect it
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** STOWAGE_CHECKPOINT_DIR, else $XDG_CACHE_HOME/stowage/checkpoints, else ~/.cache/stowage/checkpoints. */
export function defaultCheckpointDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STOWAGE_CHECKPOINT_DIR) return env.STOWAGE_CHECKPOINT_DIR;
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'stowage', 'checkpoints');
}

/** How much of each end of a source its fingerprint hashes. */
export const FINGERPRINT_SPAN = 1024 * 1024;

/**
 * Size, mtime and SHA-256 of the first and last MiB of a source, read with
 * two range reads; `head`, the source's first bytes when the caller has
 * them already (peekHead of a read it opened), spares the first.
 */
export async function sourceFingerprint(
  accessor: Accessor,
  resourceIdentifier: string,
  stat: ResourceStat,
  signal?: AbortSignal,
  head?: Uint8Array,
): Promise<SourceFingerprint> {
  const hashRange = async (start: number, end: number): Promise<string> => {
    const hash = createHash('sha256');
    if (end >= start) {
      const stream = await accessor.createReadStream(resourceIdentifier, {
        start,
        end,
        ...(signal ? { signal } : {}),
      });
      for await (const chunk of stream) hash.update(chunk as Buffer);
    }
    return hash.digest('hex');
  };
  const last = stat.size - 1;
  const headEnd = Math.min(last, FINGERPRINT_SPAN - 1);
  const known = head && head.length > headEnd ? head.subarray(0, headEnd + 1) : undefined;
  return {
    size: stat.size,
    ...(stat.modified ? { modified: stat.modified.toISOString() } : {}),
    head: known ? createHash('sha256').update(known).digest('hex') : await hashRange(0, headEnd),
    tail: await hashRange(Math.max(0, stat.size - FINGERPRINT_SPAN), last),
  };
}

/**
 * The first `length` bytes of a paused stream, read ahead and put back with
 * `unshift`, so the stream still yields every byte. Undefined when the
 * stream ends (or fails) first: a source shorter than announced is left to
 * the copy to report.
 */
export function peekHead(stream: Readable, length: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (ended: boolean) => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onEnd);
      stream.off('close', onEnd);
      const head = Buffer.concat(chunks, size);
      if (ended) {
        resolve(undefined);
        return;
      }
      stream.unshift(head);
      resolve(head.subarray(0, length));
    };
    const onEnd = () => settle(true);
    const onReadable = () => {
      let chunk: Buffer | null;
      while (size < length && (chunk = stream.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        size += chunk.length;
      }
      if (size >= length) settle(false);
    };
    if (stream.destroyed || stream.readableEnded) {
      resolve(undefined);
      return;
    }
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onEnd);
    stream.once('close', onEnd);
  });
}

export function sameFingerprint(a: SourceFingerprint, b: SourceFingerprint): boolean {
  return a.size === b.size && a.modified === b.modified && a.head === b.head && a.tail === b.tail;
}
