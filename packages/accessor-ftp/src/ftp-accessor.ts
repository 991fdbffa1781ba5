import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { PassThrough, pipeline, Readable, type Transform } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import {
  AccessorContainerNotEmptyError,
  AccessorIntegrityError,
  AccessorOperationFailedError,
  AccessorParentResourceNotFoundError,
  AccessorResourceExistsError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  assertIntegrity,
  BaseAccessor,
  defaultChunkSize,
  isTransientError,
  joinResourceIdentifier,
  MeasuringStream,
  markAppearedDuringWrite,
  type OpenedRead,
  OperationAbortedError,
  type ReadStreamOptions,
  type ResourceStat,
  type ResumeOffsetOptions,
  type ResumeState,
  requestedAlgorithms,
  splitResourceIdentifier,
  toReadable,
  type WriteOptions,
  type WriteResult,
  type WriteSource,
} from '@stowage/core';
import { Client, type FileInfo } from 'basic-ftp';
import { FTP_CAPABILITIES } from './capabilities.js';
import { FtpClientPool, type Lease } from './client-pool.js';
import {
  type ErrorContext,
  isConnectionError,
  isUnavailable,
  isUnsupportedCommand,
  mapFtpError,
} from './errors.js';
import { parseMlstReply, parseMlsxTime } from './mlst.js';
import {
  CheckpointSaver,
  type FtpResumeState,
  parseResumeState,
  SAVE_INTERVAL,
  TEMP_NAME,
} from './resume.js';
import { EMPTY_TLS_UPLOAD_DELAY_MS, emptyUploadGate, rangeSink } from './transfer-streams.js';

export interface FtpAccessorOptions {
  host: string;
  /** Default 21. */
  port?: number;
  /** Default 'anonymous'. */
  user?: string;
  /** Default 'guest' (anonymous FTP). */
  password?: string;
  /** false: plain FTP; true: explicit FTPS (AUTH TLS); 'implicit': TLS from the first byte (port 990). */
  secure?: boolean | 'implicit';
  /** node:tls options for control and data connections (ca, servername, minVersion, ...). */
  secureOptions?: ConnectionOptions;
  /**
   * Server directory that is the accessor's root. Absolute ('/srv/media'), or
   * relative to the login directory (default: the login directory itself).
   */
  prefix?: string;
  /** Most connections open at once; each carries one transfer. Default 4. */
  poolSize?: number;
  /** Milliseconds without progress before a connection is given up. Default 30000. */
  timeout?: number;
}

/** Name of an upload in progress (TEMP_NAME); hidden from list(). */
const tempName = () => `.stowage-${randomBytes(8).toString('hex')}.tmp`;

/** A ranged read that stops this close to the end lets the transfer finish instead of reconnecting. */
const DRAIN_LIMIT = 256 * 1024;
/** Extra attempts of an in-memory upload whose data connection failed. */
const DATA_CONNECTION_RETRIES = 2;

/**
 * FTP and FTPS through basic-ftp: passive mode, a pool of connections,
 * atomic writes (upload to a temp name, check size and checksum, RNFR/RNTO),
 * range reads with REST, MLST/MLSD where the server has them and SIZE/CWD/LIST
 * where it has not (vsftpd).
 */
export class FtpAccessor extends BaseAccessor {
  readonly name = 'ftp';
  readonly capabilities = FTP_CAPABILITIES;

  private readonly pool: FtpClientPool;
  private readonly poolSize: number;
  /** Absolute server path of the root, known after the first login. */
  private basePath: string | undefined;
  /** Whether MLST/MLSD work; cleared when the server rejects them. */
  private mlst = true;

  constructor(private readonly options: FtpAccessorOptions) {
    super();
    this.poolSize = Math.max(1, Math.floor(options.poolSize ?? 4));
    this.pool = new FtpClientPool(() => this.connect(), this.poolSize);
  }

  async list(resourceIdentifier: string): Promise<string[]> {
    const segments = this.segments(resourceIdentifier);
    const context = { operation: 'list', resourceIdentifier };
    return this.withClient(context, async (client) => {
      const path = this.remotePath(segments);
      // List from inside the directory: LIST arguments are globbed and
      // option-parsed by some servers, a CWD argument is not.
      try {
        await client.cd(path);
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        const stat = await this.statRemote(client, path, false);
        if (!stat) throw new AccessorResourceNotFoundError(context);
        if (!stat.isContainer) throw new AccessorResourceInvalidError(context);
        throw error;
      }
      const entries = await client.list();
      const parent = segments.join('/');
      return entries
        .map((entry) => entry.name)
        .filter((name) => name !== '.' && name !== '..' && !TEMP_NAME.test(name))
        .map((name) => joinResourceIdentifier(parent, name))
        .sort();
    });
  }

  async stat(resourceIdentifier: string): Promise<ResourceStat> {
    const segments = this.segments(resourceIdentifier);
    const context = { operation: 'stat', resourceIdentifier };
    return this.withClient(context, async (client) => {
      const stat = await this.statRemote(client, this.remotePath(segments), true);
      if (!stat) throw new AccessorResourceNotFoundError(context);
      return stat;
    });
  }

  async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}): Promise<Readable> {
    return (await this.openRange(resourceIdentifier, options)).stream;
  }

  /** The whole file with the MLST (or SIZE) the read needs anyway as the stat: no separate stat. */
  async openRead(resourceIdentifier: string, options: { signal?: AbortSignal } = {}): Promise<OpenedRead> {
    return this.openRange(resourceIdentifier, options);
  }

  private async openRange(resourceIdentifier: string, options: ReadStreamOptions): Promise<OpenedRead> {
    const segments = this.segments(resourceIdentifier);
    const context = { operation: 'read', resourceIdentifier };
    if (segments.length === 0) throw new AccessorResourceInvalidError(context);
    const { signal } = options;
    const { lease, result: stat } = await this.lease(context, signal, async (client) => {
      const stat = await this.statRemote(client, this.remotePath(segments), false);
      if (!stat) throw new AccessorResourceNotFoundError(context);
      if (stat.isContainer) throw new AccessorResourceInvalidError(context);
      return stat;
    });
    const { client } = lease;
    const start = Math.max(0, options.start ?? 0);
    const endExclusive = options.end === undefined ? stat.size : Math.min(options.end + 1, stat.size);
    const length = Math.max(0, endExclusive - start);
    if (length === 0) {
      this.pool.release(client);
      return { stream: Readable.from([], { objectMode: false }), stat };
    }

    const output = new PassThrough({ highWaterMark: defaultChunkSize() });
    let complete = false;
    let released = false;
    const release = (discard: boolean) => {
      if (released) return;
      released = true;
      this.pool.release(client, discard);
    };
    const sink = rangeSink(output, {
      length,
      onComplete: () => {
        complete = true;
        // Far from the end: closing the connection is cheaper than draining the rest.
        if (stat.size - endExclusive > DRAIN_LIMIT) client.close();
      },
    });
    const onAbort = () => output.destroy(new OperationAbortedError(undefined, { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    output.once('close', () => {
      signal?.removeEventListener('abort', onAbort);
      // The consumer stopped early (destroy, abort): closing the connection stops the transfer.
      if (!complete && !released) client.close();
    });
    client.downloadTo(sink, this.remotePath(segments), start).then(
      () => {
        if (!complete && !output.destroyed) {
          output.destroy(
            new AccessorIntegrityError({
              ...context,
              message: `Short read of ${JSON.stringify(resourceIdentifier)}: expected ${length} bytes, got ${sink.delivered()} (changed while reading?).`,
              details: { expected: length, actual: sink.delivered() },
              transient: true,
            }),
          );
        }
        release(false);
      },
      (error: unknown) => {
        if (!complete && !output.destroyed) output.destroy(mapFtpError(error, context));
        release(true);
      },
    );
    return { stream: output, stat };
  }

  async write(
    resourceIdentifier: string,
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    // Every upload opens a new data connection (and over FTPS a TLS
    // handshake), which now and then fails under load. A source held in
    // memory can simply be sent again; a stream cannot, so its caller retries
    // (transferFile does, from the source).
    // A resumable write is not replayed here: its partial upload and
    // checkpoint belong to the caller, who retries through resumeOffset.
    const replayable = !options.resume && (typeof source === 'string' || source instanceof Uint8Array);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.writeOnce(resourceIdentifier, source, options);
      } catch (caught) {
        // A replay that finds the target may be finding this write's own
        // publish, whose reply was lost: marked, the engine adopts it if the
        // bytes match.
        const error = attempt > 0 ? markAppearedDuringWrite(caught) : caught;
        if (!replayable || attempt >= DATA_CONNECTION_RETRIES || options.signal?.aborted) throw error;
        if (!isTransientError(error)) throw error;
      }
    }
  }

  private async writeOnce(
    resourceIdentifier: string,
    source: WriteSource,
    options: WriteOptions,
  ): Promise<WriteResult> {
    const segments = this.segments(resourceIdentifier);
    const context = { operation: 'write', resourceIdentifier };
    if (segments.length === 0) throw new AccessorResourceInvalidError(context);
    const { signal, resume } = options;
    const overwrite = options.overwrite ?? true;
    const readable = toReadable(source);
    // Listen from the start: a source can fail (e.g. a missing file) while we
    // are still checking the target, before the pipeline below is attached.
    let sourceError: unknown;
    readable.on('error', (error) => {
      sourceError ??= error;
    });
    // A resumed write appends to the temp file its state names, from resume.offset.
    const resumed = resume?.state ? parseResumeState(resume.state) : undefined;
    const temp = resumed?.temp ?? tempName();
    let lease: Lease;
    try {
      if (resume?.state && !resumed)
        throw new AccessorOperationFailedError({ ...context, message: 'Invalid FTP resume state.' });
      ({ lease } = await this.lease(context, signal, async (client) => {
        await this.assertWritable(client, segments, overwrite, context);
        // remotePath needs the root, known once a connection logged in.
        if (resumed)
          await this.assertResumable(client, this.tempPath(segments, temp), resume!.offset, context);
      }));
    } catch (error) {
      // The source may hold resources (a file, another accessor's connection).
      readable.destroy();
      throw error;
    }
    const { client } = lease;
    if (sourceError !== undefined) {
      this.pool.release(client);
      throw mapFtpError(sourceError, context);
    }
    const path = this.remotePath(segments);
    const tempPath = this.tempPath(segments, temp);
    let saver: CheckpointSaver | undefined;
    // Whether a checkpoint names the temp file: then a failure keeps it for the caller.
    let keepOnFailure = resumed !== undefined;
    if (resume) {
      saver = new CheckpointSaver(
        (offset) => resume.save({ temp, offset } satisfies FtpResumeState),
        resume.offset,
        SAVE_INTERVAL,
      );
      if (!resumed) {
        try {
          // Before the first byte, so a kill at any moment leaves a findable partial.
          await resume.save({ temp, offset: 0 } satisfies FtpResumeState);
          keepOnFailure = true;
        } catch (error) {
          readable.destroy();
          this.pool.release(client);
          throw error;
        }
      }
    }
    const algorithms = requestedAlgorithms(options);
    const onProgress =
      saver || options.onProgress
        ? (bytes: number) => {
            options.onProgress?.(bytes);
            saver?.progress(bytes);
          }
        : undefined;
    const measuring = new MeasuringStream({
      algorithms,
      onProgress,
      ...(resumed ? { resume: options.resume } : {}),
    });
    const streams: Array<Readable | Transform> = [readable, measuring];
    if (client.ftp.hasTLS) streams.push(emptyUploadGate(EMPTY_TLS_UPLOAD_DELAY_MS));
    const upload = streams[streams.length - 1] as Transform;
    // Errors reach basic-ftp through `upload` (it closes the connection on them).
    pipeline(streams, () => {});
    const onAbort = () => readable.destroy(new OperationAbortedError(undefined, { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // STOR creates the temp file; APPE continues a partial one at its end,
      // which assertResumable checked is resume.offset.
      if (resumed) await client.appendFrom(upload, tempPath);
      else await client.uploadFrom(upload, tempPath);
      await saver?.flush();
      const result = { size: measuring.size, checksums: measuring.digests() };
      assertIntegrity(resourceIdentifier, result, options);
      // Also catches two writers appending to one temp file at once.
      await this.assertStoredSize(client, tempPath, result.size, context);
      if (signal?.aborted) throw new OperationAbortedError(undefined, { cause: signal.reason });
      if (!overwrite && (await this.statRemote(client, path, false))) {
        throw new AccessorResourceExistsError(context);
      }
      await this.rename(client, tempPath, path, context);
      this.pool.release(client);
      return result;
    } catch (error) {
      if (!readable.destroyed) readable.destroy();
      this.pool.release(client);
      // No checkpoint save may land after the write returned (the caller then removes it).
      await saver?.flush().catch(() => {});
      // A resumable write leaves its partial upload to the caller (resume or discardResume).
      if (!keepOnFailure) await this.removeQuietly(tempPath);
      if (signal?.aborted) throw new OperationAbortedError(undefined, { cause: error });
      throw mapFtpError(error, context);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * How many leading bytes of an interrupted write are on the server: the
   * temp file's SIZE (STOR writes sequentially, so every byte up to it was
   * sent in order), capped by the file's size; undefined when the temp file
   * is gone or the state is not one of ours.
   */
  async resumeOffset(
    resourceIdentifier: string,
    state: ResumeState,
    options: ResumeOffsetOptions,
  ): Promise<number | undefined> {
    const parsed = parseResumeState(state);
    const segments = this.segments(resourceIdentifier);
    if (!parsed || segments.length === 0) return undefined;
    if (options.signal?.aborted) throw new OperationAbortedError(undefined, { cause: options.signal.reason });
    const context = { operation: 'resumeOffset', resourceIdentifier };
    const size = await this.withClient(context, (client) =>
      this.tempSize(client, this.tempPath(segments, parsed.temp)),
    );
    return size === undefined ? undefined : Math.min(size, options.size);
  }

  /** Delete an interrupted write's temp file; nothing when it is already gone. */
  async discardResume(resourceIdentifier: string, state: ResumeState): Promise<void> {
    const parsed = parseResumeState(state);
    const segments = this.segments(resourceIdentifier);
    if (!parsed || segments.length === 0) return;
    const context = { operation: 'discardResume', resourceIdentifier };
    await this.withClient(context, async (client) => {
      const tempPath = this.tempPath(segments, parsed.temp);
      try {
        await client.remove(tempPath);
      } catch (error) {
        if (isUnavailable(error) && (await this.tempSize(client, tempPath)) === undefined) return;
        throw error;
      }
    });
  }

  /** Size of a plain temp file, undefined when there is none (missing, a directory, a link). */
  private async tempSize(client: Client, tempPath: string): Promise<number | undefined> {
    if (this.mlst) {
      try {
        const entry = parseMlstReply((await client.send(`MLST ${tempPath}`)).message);
        return entry?.type === 'file' ? (entry.size ?? 0) : undefined;
      } catch (error) {
        if (isUnavailable(error)) return undefined;
        if (!isUnsupportedCommand(error)) throw error;
        this.mlst = false;
      }
    }
    try {
      // SIZE answers for plain files only (550 for a directory).
      return await client.size(tempPath);
    } catch (error) {
      if (isUnavailable(error)) return undefined;
      throw error;
    }
  }

  /**
   * Before appending: the temp file must hold exactly `offset` bytes, so the
   * source (which starts at `offset`) lines up. A partial that vanished or
   * changed fails the write as transient: the caller's retry asks
   * resumeOffset again, or starts over.
   */
  private async assertResumable(
    client: Client,
    tempPath: string,
    offset: number,
    context: ErrorContext,
  ): Promise<void> {
    const size = await this.tempSize(client, tempPath);
    if (size !== offset) {
      throw new AccessorOperationFailedError({
        ...context,
        message: `The partial upload to resume is gone or changed (${size ?? 'no'} bytes, expected ${offset}).`,
        details: { expectedSize: offset, ...(size !== undefined ? { actualSize: size } : {}) },
        transient: true,
      });
    }
  }

  async remove(resourceIdentifier: string): Promise<void> {
    const segments = this.segments(resourceIdentifier);
    const context = { operation: 'remove', resourceIdentifier };
    if (segments.length === 0) throw new AccessorResourceInvalidError(context);
    await this.withClient(context, async (client) => {
      const path = this.remotePath(segments);
      try {
        await client.remove(path);
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        const stat = await this.statRemote(client, path, false);
        if (!stat) throw new AccessorResourceNotFoundError(context);
        if (stat.isContainer) throw new AccessorResourceInvalidError(context);
        throw error;
      }
    });
  }

  async makeContainer(resourceIdentifier: string, recursive = true): Promise<void> {
    const segments = this.segments(resourceIdentifier);
    if (segments.length === 0) return;
    const context = { operation: 'makeContainer', resourceIdentifier };
    await this.withClient(context, (client) => this.makeDirectory(client, segments, recursive, context));
  }

  async removeContainer(resourceIdentifier: string, options: { recursive?: boolean } = {}): Promise<void> {
    const segments = this.segments(resourceIdentifier);
    const context = { operation: 'removeContainer', resourceIdentifier };
    await this.withClient(context, async (client) => {
      const path = this.remotePath(segments);
      if (segments.length > 0) {
        const stat = await this.statRemote(client, path, false);
        if (!stat) throw new AccessorResourceNotFoundError(context);
        if (!stat.isContainer) throw new AccessorResourceInvalidError(context);
      }
      if (options.recursive) await this.removeChildren(client, path);
      if (segments.length === 0) {
        // The root itself stays: "removing" it empties it, or fails when it has children.
        if (!options.recursive && (await this.children(client, path)).length > 0) {
          throw new AccessorContainerNotEmptyError(context);
        }
        return;
      }
      try {
        await client.removeEmptyDir(path);
      } catch (error) {
        // The stat above found a directory: RMD fails because it has children.
        if (isUnavailable(error) && (await this.statRemote(client, path, false))?.isContainer) {
          throw new AccessorContainerNotEmptyError({ ...context, error });
        }
        throw error;
      }
    });
  }

  override async close(): Promise<void> {
    await this.pool.close();
  }

  private async connect(): Promise<Client> {
    const { host, port = 21, user, password, secure = false, secureOptions, timeout = 30_000 } = this.options;
    const client = new Client(timeout);
    try {
      // basic-ftp sends OPTS UTF8 ON, TYPE I and, over TLS, PBSZ 0 / PROT P.
      // It writes `host` into secureOptions: hand it a copy.
      await client.access({ host, port, user, password, secure, secureOptions: { ...secureOptions } });
      if (!client.availableListCommands.includes('MLSD')) this.mlst = false;
      this.basePath ??= await this.resolveBase(client);
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  private async resolveBase(client: Client): Promise<string> {
    const prefix = this.options.prefix ?? '';
    const segments = splitResourceIdentifier(prefix.replace(/^\/+/, ''));
    const start = prefix.startsWith('/') ? '/' : await client.pwd();
    return posix.join(start, ...segments);
  }

  private remotePath(segments: string[]): string {
    return posix.join(this.basePath ?? '/', ...segments);
  }

  /** A temp file beside the target (`temp` is a checked base name). */
  private tempPath(segments: string[], temp: string): string {
    return posix.join(posix.dirname(this.remotePath(segments)), temp);
  }

  /**
   * Run `fn` on a pooled connection and keep the connection. A request that
   * failed because a reused connection had gone stale (the server closed it
   * while idle) runs again on a fresh one.
   */
  private async lease<T>(
    context: ErrorContext,
    signal: AbortSignal | undefined,
    fn: (client: Client) => Promise<T>,
  ): Promise<{ lease: Lease; result: T }> {
    for (let attempt = 0; ; attempt++) {
      let lease: Lease;
      try {
        lease = await this.pool.acquire(signal);
      } catch (error) {
        throw mapFtpError(error, {
          operation: context.operation,
          resourceIdentifier: context.resourceIdentifier,
        });
      }
      try {
        return { lease, result: await fn(lease.client) };
      } catch (error) {
        this.pool.release(lease.client);
        if (lease.reused && lease.client.closed && isConnectionError(error) && attempt < this.poolSize)
          continue;
        throw mapFtpError(error, context);
      }
    }
  }

  private async withClient<T>(context: ErrorContext, fn: (client: Client) => Promise<T>): Promise<T> {
    const { lease, result } = await this.lease(context, undefined, fn);
    this.pool.release(lease.client);
    return result;
  }

  /** Stat by MLST, or SIZE/MDTM then CWD where the server has no MLST; undefined when missing. */
  private async statRemote(
    client: Client,
    path: string,
    withModified: boolean,
  ): Promise<ResourceStat | undefined> {
    if (this.mlst) {
      try {
        const entry = parseMlstReply((await client.send(`MLST ${path}`)).message);
        if (entry?.type === 'file')
          return { size: entry.size ?? 0, isContainer: false, modified: entry.modified };
        if (entry?.type === 'dir') return { size: 0, isContainer: true, modified: entry.modified };
        // A symlink or an unparsable reply: ask SIZE/CWD, which follow links.
      } catch (error) {
        if (isUnavailable(error)) return undefined;
        if (!isUnsupportedCommand(error)) throw error;
        this.mlst = false;
      }
    }
    let size: number | undefined;
    try {
      size = await client.size(path);
    } catch (error) {
      if (!isUnavailable(error) && !isUnsupportedCommand(error)) throw error;
    }
    if (size !== undefined) {
      return {
        size,
        isContainer: false,
        modified: withModified ? await this.modifiedTime(client, path) : undefined,
      };
    }
    try {
      await client.cd(path);
      return { size: 0, isContainer: true };
    } catch (error) {
      if (isUnavailable(error)) return undefined;
      throw error;
    }
  }

  private async modifiedTime(client: Client, path: string): Promise<Date | undefined> {
    try {
      return parseMlsxTime((await client.send(`MDTM ${path}`)).message.slice(4));
    } catch (error) {
      if (isUnavailable(error) || isUnsupportedCommand(error)) return undefined;
      throw error;
    }
  }

  /** Before uploading: the target is no directory, exists only if overwriting, and its parent is there. */
  private async assertWritable(
    client: Client,
    segments: string[],
    overwrite: boolean,
    context: ErrorContext,
  ): Promise<void> {
    const path = this.remotePath(segments);
    const target = await this.statRemote(client, path, false);
    if (target?.isContainer) throw new AccessorResourceInvalidError(context);
    if (target && !overwrite) throw new AccessorResourceExistsError(context);
    if (target || segments.length === 1) return;
    // STOR into a missing directory makes some servers reset the data
    // connection, which basic-ftp reports as a dead connection: check first.
    const parent = await this.statRemote(client, posix.dirname(path), false);
    if (!parent?.isContainer) throw new AccessorParentResourceNotFoundError(context);
  }

  /** The server's SIZE of the upload must match what was sent. */
  private async assertStoredSize(
    client: Client,
    tempPath: string,
    size: number,
    context: ErrorContext,
  ): Promise<void> {
    let stored: number;
    try {
      stored = await client.size(tempPath);
    } catch (error) {
      if (isUnsupportedCommand(error)) return;
      throw error;
    }
    if (stored !== size) {
      throw new AccessorIntegrityError({
        ...context,
        message: `The server stored ${stored} bytes of ${size} sent for ${JSON.stringify(context.resourceIdentifier)}.`,
        details: { expectedSize: size, actualSize: stored },
      });
    }
  }

  private async rename(client: Client, from: string, to: string, context: ErrorContext): Promise<void> {
    try {
      await client.rename(from, to);
    } catch (error) {
      if (isUnavailable(error) && (await this.statRemote(client, to, false))?.isContainer) {
        throw new AccessorResourceInvalidError({ ...context, error });
      }
      throw error;
    }
  }

  private async removeQuietly(path: string): Promise<void> {
    try {
      await this.withClient({ operation: 'remove' }, (client) => client.remove(path, true));
    } catch {
      // Best effort: the temp name is hidden from list() either way.
    }
  }

  private async makeDirectory(
    client: Client,
    segments: string[],
    recursive: boolean,
    context: ErrorContext,
  ): Promise<void> {
    const path = this.remotePath(segments);
    try {
      await client.send(`MKD ${path}`);
      return;
    } catch (error) {
      if (!isUnavailable(error) && !isUnsupportedCommand(error) && (error as { code?: unknown }).code !== 553)
        throw error;
      const stat = await this.statRemote(client, path, false);
      if (stat?.isContainer) return; // already there (or made by a concurrent caller)
      if (stat) throw new AccessorResourceInvalidError({ ...context, error });
      if (segments.length === 1) throw error;
      const parent = await this.statRemote(client, posix.dirname(path), false);
      if (parent?.isContainer) throw error;
      if (parent || !recursive) throw new AccessorParentResourceNotFoundError({ ...context, error });
    }
    await this.makeDirectory(client, segments.slice(0, -1), true, context);
    try {
      await client.send(`MKD ${path}`);
    } catch (error) {
      if (!(await this.statRemote(client, path, false))?.isContainer) throw error;
    }
  }

  /** Entries of a directory, temp files and dotfiles included. */
  private async children(client: Client, path: string): Promise<FileInfo[]> {
    await client.cd(path);
    return (await client.list()).filter((entry) => entry.name !== '.' && entry.name !== '..');
  }

  /** Delete everything below `path`, depth first. */
  private async removeChildren(client: Client, path: string): Promise<void> {
    for (const entry of await this.children(client, path)) {
      const child = posix.join(path, entry.name);
      if (entry.isDirectory) {
        await this.removeChildren(client, child);
        await client.removeEmptyDir(child);
      } else {
        await client.remove(child);
      }
    }
  }
}
