import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import {
  AnonymousCredential,
  BlobSASPermissions,
  BlobServiceClient,
  type BlockBlobClient,
  type ContainerClient,
  StorageSharedKeyCredential,
  type UserDelegationKey,
} from '@azure/storage-blob';
import {
  type Accessor,
  AccessorContainerNotEmptyError,
  AccessorIntegrityError,
  AccessorOperationFailedError,
  AccessorParentResourceNotFoundError,
  AccessorResourceExistsError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  AccessorUnsupportedOperationError,
  BaseAccessor,
  ContainerCache,
  type CopyOptions,
  defineCapabilities,
  type GetUrlOptions,
  type ListEntry,
  markAppearedDuringWrite,
  normalizeResourceIdentifier,
  type OpenedRead,
  type OpenReadOptions,
  OperationAbortedError,
  type ReadStreamOptions,
  type ResourceStat,
  type ResumeOffsetOptions,
  type ResumeState,
  toReadable,
  type WriteOptions,
  type WriteResult,
  type WriteSource,
} from '@stowage/core';
import { type ErrorContext, redact, restError, toAccessorError } from './azure-errors.js';
import {
  type BlockResume,
  blockId,
  effectiveBlockSize,
  NONCE_PATTERN,
  newNonce,
  uploadBlocks,
} from './block-upload.js';
import {
  type AzureBlobAccessorOptions,
  DEFAULT_BLOCK_SIZE,
  DEFAULT_CONCURRENCY,
  MAX_BLOCK_SIZE,
  MAX_BLOCKS,
} from './options.js';

/** Metadata rclone and ADLS use for directory markers. */
const FOLDER_METADATA = { hdi_isfolder: 'true' };
/** Blobs deleted in parallel by a recursive removeContainer. */
const REMOVE_CONCURRENCY = 32;
/** Copy Blob From URL takes sources up to 256 MiB. */
const SYNC_COPY_LIMIT = 256 * 1024 * 1024;
/** Range per Put Block From URL when copying larger sources. */
const URL_BLOCK_SIZE = 100 * 1024 * 1024;
const DEFAULT_EXPIRES_IN = 3600;

export interface CopyFromUrlOptions extends CopyOptions {
  /** Source size in bytes, when known (else one ranged GET asks the URL). */
  size?: number;
  /** The source's MD5 (hex), when known: the service checks it (sync copy) and it is kept as Content-MD5. */
  md5?: string;
}

/** Writes of this size or more check for an existing target before any byte moves. */
const EARLY_EXISTS_CHECK_BYTES = 4 * 1024 * 1024;

/**
 * Accessor for Azure Blob Storage (@azure/storage-blob). Resource identifiers
 * are blob names under `prefix/` in one container; containers are virtual
 * folders, made to exist by a zero-byte `name/` marker blob (`hdi_isfolder`
 * metadata, as rclone and ADLS write) or by the blobs under them. Writes stage
 * blocks and commit them in one Put Block List (or one Put Blob), so nothing
 * partial is ever visible; `overwrite: false` is an `If-None-Match: *`
 * condition on that commit. A resumable write (`options.resume`) names its
 * blocks after a nonce kept in its saved state, so another process can find
 * them among the blob's uncommitted blocks and continue (`resumeOffset`).
 */
export class AzureBlobAccessor extends BaseAccessor {
  readonly name = 'azure';
  readonly capabilities;

  readonly containerName: string;
  /** Root prefix inside the container, '' or ending in '/'. */
  readonly rootPrefix: string;
  readonly containerClient: ContainerClient;
  private readonly serviceClient: BlobServiceClient;
  private readonly sharedKey: StorageSharedKeyCredential | undefined;
  private readonly tokenAuth: boolean;
  private readonly blockSize: number;
  private readonly concurrency: number;
  private readonly blockMd5: boolean;
  private readonly createContainer: boolean;
  private readonly urlCopy: boolean;
  private containerReady: Promise<void> | undefined;
  private delegationKey: { key: UserDelegationKey; expiresOn: number } | undefined;
  /** Containers this instance saw exist: writes into one folder skip the parent check. */
  private readonly knownContainers = new ContainerCache();

  constructor(options: AzureBlobAccessorOptions) {
    super();
    if (!options?.container)
      throw new AccessorOperationFailedError({
        operation: 'configure',
        message: 'Azure container is required.',
      });
    if (options.serviceClient) {
      this.serviceClient = options.serviceClient;
    } else if (options.connectionString) {
      try {
        this.serviceClient = BlobServiceClient.fromConnectionString(
          options.connectionString,
          options.pipelineOptions,
        );
      } catch (error) {
        // The SDK's message may quote the connection string: never pass it on.
        throw new AccessorOperationFailedError({
          operation: 'configure',
          message: 'Invalid Azure connection string.',
          cause: new Error(redact(error instanceof Error ? error.message : String(error))),
        });
      }
    } else {
      throw new AccessorOperationFailedError({
        operation: 'configure',
        message: 'Azure needs a connectionString or a serviceClient.',
      });
    }
    const credential = this.serviceClient.credential;
    this.sharedKey = credential instanceof StorageSharedKeyCredential ? credential : undefined;
    this.tokenAuth =
      !this.sharedKey &&
      !(credential instanceof AnonymousCredential) &&
      typeof (credential as { getToken?: unknown }).getToken === 'function';
    this.containerName = options.container;
    this.containerClient = this.serviceClient.getContainerClient(options.container);
    const prefix = options.prefix ? normalizeResourceIdentifier(options.prefix) : '';
    this.rootPrefix = prefix === '' ? '' : `${prefix}/`;
    this.blockSize = Math.min(MAX_BLOCK_SIZE, Math.max(1, options.blockSize ?? DEFAULT_BLOCK_SIZE));
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.blockMd5 = options.blockMd5 ?? true;
    this.createContainer = options.createContainer ?? true;
    this.urlCopy = options.urlCopy ?? true;
    const signs = this.sharedKey !== undefined || this.tokenAuth;
    this.capabilities = defineCapabilities({
      read: true,
      write: true,
      list: true,
      stat: true,
      rangeRead: true,
      parallelRangeRead: true,
      containers: 'marker',
      emptyContainers: true,
      removeContainer: true,
      serverSideCopy: true,
      filesystemPath: false,
      url: signs ? 'presigned' : false,
      presignRead: signs,
      presignWrite: signs,
      multipart: { minPartSize: 1, maxPartSize: MAX_BLOCK_SIZE, maxParts: MAX_BLOCKS },
      append: false,
      atomicWrite: true,
      conditionalCreate: true,
      resume: true,
      checksums: ['md5'],
      sequence: true,
      pathConfinement: true,
      symlinks: false,
      maxNameLength: 1024,
    });
  }

  // --- reading ---

  async list(resourceIdentifier: string): Promise<string[]> {
    return (await this.listStats(resourceIdentifier)).map((entry) => entry.resourceIdentifier);
  }

  /** Children with sizes from one hierarchical listing (prefixes and blobs; their order is not relied on). */
  async listStats(resourceIdentifier: string): Promise<ListEntry[]> {
    const segments = this.segments(resourceIdentifier);
    const op = { operation: 'list', resourceIdentifier };
    const ri = segments.join('/');
    const prefix = this.containerPrefix(segments);
    const entries = new Map<string, ListEntry>();
    let sawAnything = false;
    try {
      for await (const page of this.containerClient
        .listBlobsByHierarchy('/', { prefix })
        .byPage({ maxPageSize: 5000 })) {
        for (const item of page.segment.blobPrefixes ?? []) {
          sawAnything = true;
          const name = this.childName(prefix, item.name.slice(0, -1));
          if (name !== undefined)
            entries.set(name, { resourceIdentifier: join(ri, name), size: 0, isContainer: true });
        }
        for (const blob of page.segment.blobItems) {
          sawAnything = true;
          if (blob.name === prefix) continue; // this container's own marker
          const name = this.childName(prefix, blob.name);
          if (name === undefined || entries.get(name)?.isContainer) continue;
          entries.set(name, {
            resourceIdentifier: join(ri, name),
            size: blob.properties.contentLength ?? 0,
            isContainer: false,
          });
        }
      }
    } catch (error) {
      if (restError(error).code === 'ContainerNotFound' && segments.length === 0) return [];
      throw toAccessorError(error, op);
    }
    if (!sawAnything && segments.length > 0) {
      if (await this.blobExists(this.key(segments), op)) throw new AccessorResourceInvalidError(op);
      throw new AccessorResourceNotFoundError(op);
    }
    return [...entries.values()].sort((a, b) => compare(a.resourceIdentifier, b.resourceIdentifier));
  }

  async stat(resourceIdentifier: string): Promise<ResourceStat> {
    const segments = this.segments(resourceIdentifier);
    const op = { operation: 'stat', resourceIdentifier };
    if (segments.length === 0) return { size: 0, isContainer: true };
    const key = this.key(segments);
    try {
      return blobStat(await this.containerClient.getBlobClient(key).getProperties());
    } catch (error) {
      if (restError(error).status !== 404) throw toAccessorError(error, op);
    }
    if (await this.containerExists(segments, op)) return { size: 0, isContainer: true };
    throw new AccessorResourceNotFoundError(op);
  }

  async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}): Promise<Readable> {
    const { segments, op } = this.readTarget(resourceIdentifier, options.signal);
    const start = Math.max(0, options.start ?? 0);
    const ranged = options.start !== undefined || options.end !== undefined;
    const count = options.end === undefined ? undefined : options.end - start + 1;
    if (count !== undefined && count <= 0) return Readable.from([]);
    // A range cannot be checked against the whole blob's MD5.
    const opened = await this.download(segments, start, count, !ranged, op);
    return opened?.stream ?? Readable.from([]);
  }

  /**
   * The whole blob with its download headers as the stat: one request
   * instead of HEAD + GET. The stream checks the stored Content-MD5 itself,
   * unless the caller checks it (`verify: false`).
   */
  async openRead(resourceIdentifier: string, options: OpenReadOptions = {}): Promise<OpenedRead> {
    const { segments, op } = this.readTarget(resourceIdentifier, options.signal);
    const verify = options.verify ?? true;
    const opened = await this.download(segments, 0, undefined, verify, op);
    // An empty blob answers a whole read with InvalidRange.
    if (!opened) return { stream: Readable.from([]), stat: await this.stat(resourceIdentifier) };
    const stat = blobStat(opened.response);
    return { stream: opened.stream, stat, verified: verify && stat.checksums?.md5 !== undefined };
  }

  /** A read's identifier checked: a file, never the root; not aborted yet. */
  private readTarget(resourceIdentifier: string, signal: AbortSignal | undefined) {
    const segments = this.segments(resourceIdentifier);
    const op = { operation: 'read', resourceIdentifier, signal };
    throwIfAborted(signal);
    if (segments.length === 0)
      throw new AccessorResourceInvalidError({ ...op, message: 'The root is a container.' });
    return { segments, op };
  }

  copiesFrom(source: Accessor): boolean {
    if (source instanceof AzureBlobAccessor && source.serviceClient.url === this.serviceClient.url)
      return true;
    return this.urlCopy && source.capabilities.presignRead && source.capabilities.url === 'presigned';
  }

  /** A download, checked against the stored Content-MD5 when `checkMd5`; undefined when the range is empty. */
  private async download(
    segments: string[],
    start: number,
    count: number | undefined,
    checkMd5: boolean,
    op: ErrorContext & { signal?: AbortSignal | undefined },
  ) {
    const signal = op.signal;
    const client = this.containerClient.getBlobClient(this.key(segments));
    let response: Awaited<ReturnType<typeof client.download>>;
    try {
      response = await client.download(start, count, {
        // The SDK resumes a dropped body from the last byte it received.
        maxRetryRequests: 5,
        ...(signal ? { abortSignal: signal } : {}),
      });
    } catch (error) {
      const { status, code } = restError(error);
      // A start past the end: the blob exists, the range is empty.
      if (status === 416 || code === 'InvalidRange') return undefined;
      if (status === 404 && code !== 'ContainerNotFound' && (await this.containerExists(segments, op)))
        throw new AccessorResourceInvalidError(op);
      throw toAccessorError(error, op);
    }
    const body = response.readableStreamBody as Readable | undefined;
    if (!body) return { stream: Readable.from([]), response };
    const expectedMd5 =
      checkMd5 && response.contentMD5 ? Buffer.from(response.contentMD5).toString('hex') : undefined;
    const output = new VerifyingStream(
      expectedMd5,
      () => new AccessorIntegrityError({ ...op, transient: true }),
    );
    body.on('error', (error) => output.destroy(toAccessorError(error, op)));
    output.on('close', () => body.destroy());
    if (signal) {
      const onAbort = () => output.destroy(new OperationAbortedError());
      signal.addEventListener('abort', onAbort, { once: true });
      output.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    body.pipe(output);
    return { stream: output as Readable, response };
  }

  // --- writing ---

  async write(
    resourceIdentifier: string,
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const segments = this.segments(resourceIdentifier);
    const signal = options.signal;
    const op = { operation: 'write', resourceIdentifier, signal };
    const overwrite = options.overwrite ?? true;
    let consumed = false;
    try {
      if (segments.length === 0)
        throw new AccessorResourceInvalidError({ ...op, message: 'The root is a container.' });
      throwIfAborted(signal);
      await this.ensureContainer(op);
      // Small files skip the early "exists?" HEAD (a round trip per frame):
      // the commit's If-None-Match refuses an existing blob atomically anyway.
      const early =
        options.resume !== undefined ||
        options.size === undefined ||
        options.size >= EARLY_EXISTS_CHECK_BYTES;
      await this.checkTarget(segments, overwrite || !early, op);
      let blockSize = this.blockSize;
      let resume: BlockResume | undefined;
      if (options.resume) {
        const started = await this.startResumable(options, op);
        blockSize = started.blockSize;
        resume = started.resume;
      }
      consumed = true;
      return await uploadBlocks(this.blockClient(segments), toReadable(source), {
        resourceIdentifier,
        blockSize,
        resume,
        concurrency: this.concurrency,
        blockMd5: this.blockMd5,
        size: options.size,
        checksum: options.checksum,
        checksums: options.checksums,
        conditions: overwrite ? undefined : { ifNoneMatch: '*' },
        signal,
        onProgress: options.onProgress,
      });
    } catch (error) {
      // Absent at the check above, present at the commit: possibly our own
      // commit, retried by the SDK after its reply was lost.
      if (consumed && !overwrite) throw markAppearedDuringWrite(toAccessorError(error, op));
      throw toAccessorError(error, op);
    } finally {
      // A source we never read would hold its own resources (e.g. another accessor's connection).
      if (!consumed && source instanceof Readable) source.destroy();
    }
  }

  /**
   * How many leading bytes of an interrupted resumable write are staged: the
   * run of blocks 0..k-1 of the saved upload (ids from its nonce) found among
   * the blob's uncommitted blocks, each exactly `blockSize` long, times
   * `blockSize`. Undefined when the state is not ours, the blocks are gone
   * (committed or discarded by another write, expired after 7 days, or
   * replaced by `discardResume`) or none is left to continue from.
   */
  async resumeOffset(
    resourceIdentifier: string,
    state: ResumeState,
    options: ResumeOffsetOptions,
  ): Promise<number | undefined> {
    const segments = this.segments(resourceIdentifier);
    const op = { operation: 'resumeOffset', resourceIdentifier, signal: options.signal };
    if (segments.length === 0) return undefined;
    const saved = parseResumeState(state);
    if (!saved || !Number.isSafeInteger(options.size) || options.size < 0) return undefined;
    // More than 50,000 blocks of the saved size cannot make this file.
    if (Math.ceil(options.size / saved.blockSize) > MAX_BLOCKS) return undefined;
    const blocks = await this.uncommittedBlocks(segments, op);
    if (!blocks) return undefined;
    const sizes = new Map(blocks.map((block) => [block.name, block.size]));
    const whole = Math.floor(options.size / saved.blockSize);
    let count = 0;
    while (count < whole && sizes.get(blockId(saved.nonce, count)) === saved.blockSize) count++;
    return count === 0 ? undefined : count * saved.blockSize;
  }

  /**
   * Drop what an interrupted resumable write staged, as far as Azure allows:
   * there is no call that deletes uncommitted blocks alone (committing or
   * deleting the blob would race with other writers of it, and make a blob
   * appear), so each of the upload's uncommitted blocks is replaced by a
   * one-byte block under the same id. That replaces the data and makes
   * `resumeOffset` answer undefined; the one-byte blocks go with the next
   * commit of the blob or expire with all uncommitted blocks after 7 days.
   */
  async discardResume(resourceIdentifier: string, state: ResumeState): Promise<void> {
    const segments = this.segments(resourceIdentifier);
    const op = { operation: 'discardResume', resourceIdentifier };
    const saved = parseResumeState(state);
    if (!saved || segments.length === 0) return;
    const blocks = await this.uncommittedBlocks(segments, op);
    if (!blocks) return;
    // Shorter than a block (1 byte, 2 for 1-byte blocks), so resumeOffset no longer counts it.
    const tombstone = Buffer.alloc(saved.blockSize === 1 ? 2 : 1);
    // Only this upload's blocks (a concurrent writer's are left alone), and not twice.
    const queue = blocks.filter(
      (block) => block.size !== tombstone.length && isOwnBlock(block.name, saved.nonce),
    );
    const client = this.blockClient(segments);
    try {
      await Promise.all(
        Array.from({ length: Math.min(this.concurrency * 2, queue.length) }, async () => {
          for (let block = queue.shift(); block; block = queue.shift())
            await client.stageBlock(block.name, tombstone, tombstone.length);
        }),
      );
    } catch (error) {
      const { status, code } = restError(error);
      if (status === 404 || code === 'ContainerNotFound') return;
      throw toAccessorError(error, op);
    }
  }

  /** Server-side copy within the account (Copy Blob; the bytes never pass through this process). */
  async copy(source: string, target: string, options: CopyOptions = {}): Promise<WriteResult> {
    const sourceSegments = this.segments(source);
    const targetSegments = this.segments(target);
    const signal = options.signal;
    const op = { operation: 'copy', resourceIdentifier: target, signal };
    const sourceOp = { operation: 'copy', resourceIdentifier: source, signal };
    if (targetSegments.length === 0)
      throw new AccessorResourceInvalidError({ ...op, message: 'The root is a container.' });
    if (sourceSegments.length === 0) throw new AccessorResourceInvalidError(sourceOp);
    throwIfAborted(signal);
    const sourceClient = this.containerClient.getBlobClient(this.key(sourceSegments));
    let etag: string | undefined;
    try {
      etag = (await sourceClient.getProperties(signal ? { abortSignal: signal } : {})).etag;
    } catch (error) {
      if (restError(error).status === 404 && (await this.containerExists(sourceSegments, sourceOp)))
        throw new AccessorResourceInvalidError(sourceOp);
      throw toAccessorError(error, sourceOp);
    }
    await this.checkTarget(targetSegments, options.overwrite ?? true, op);
    const sourceUrl = this.sharedKey ? await this.signedUrl(sourceSegments, 'r', 600) : sourceClient.url;
    return this.copyBlobFromUrl(sourceUrl, targetSegments, {
      ...options,
      op,
      ...(etag ? { sourceEtag: etag } : {}),
    });
  }

  /**
   * Copy from any URL Azure can fetch (a presigned S3 GET, another account's
   * SAS URL) without the bytes passing through this process. Up to 256 MiB
   * in one Copy Blob From URL; larger sources in 100 MiB Put Block From URL
   * ranges and one commit. Atomic either way: the blob appears complete or not at all.
   */
  async copyFromUrl(
    url: string,
    resourceIdentifier: string,
    options: CopyFromUrlOptions = {},
  ): Promise<WriteResult> {
    const segments = this.segments(resourceIdentifier);
    const signal = options.signal;
    const op = { operation: 'copyFromUrl', resourceIdentifier, signal };
    if (segments.length === 0)
      throw new AccessorResourceInvalidError({ ...op, message: 'The root is a container.' });
    throwIfAborted(signal);
    const overwrite = options.overwrite ?? true;
    await this.ensureContainer(op);
    await this.checkTarget(segments, overwrite, op);
    const size = options.size ?? (await probeSize(url, op));
    const client = this.blockClient(segments);
    const conditions = overwrite ? undefined : { ifNoneMatch: '*' };
    const md5 = options.md5 ? Buffer.from(options.md5, 'hex') : undefined;
    try {
      if (size <= SYNC_COPY_LIMIT) {
        await client.syncCopyFromURL(url, {
          ...(conditions ? { conditions } : {}),
          ...(md5 ? { sourceContentMD5: md5 } : {}),
          ...(signal ? { abortSignal: signal } : {}),
        });
      } else {
        const prefix = createHash('sha256')
          .update(`${url}${Date.now()}${Math.random()}`)
          .digest('hex')
          .slice(0, 24);
        const ids: string[] = [];
        const ranges: Array<[string, number, number]> = [];
        for (let offset = 0, index = 0; offset < size; offset += URL_BLOCK_SIZE, index++) {
          const id = Buffer.from(`${prefix}-${String(index).padStart(6, '0')}`).toString('base64');
          ids.push(id);
          ranges.push([id, offset, Math.min(URL_BLOCK_SIZE, size - offset)]);
        }
        const queue = [...ranges];
        await Promise.all(
          Array.from({ length: Math.min(this.concurrency, queue.length) }, async () => {
            for (let next = queue.shift(); next; next = queue.shift()) {
              throwIfAborted(signal);
              await client.stageBlockFromURL(
                next[0],
                url,
                next[1],
                next[2],
                signal ? { abortSignal: signal } : {},
              );
            }
          }),
        );
        await client.commitBlockList(ids, {
          ...(md5 ? { blobHTTPHeaders: { blobContentMD5: md5 } } : {}),
          ...(conditions ? { conditions } : {}),
          ...(signal ? { abortSignal: signal } : {}),
        });
      }
      const properties = await client.getProperties();
      if (properties.contentLength !== size) {
        await client.delete().catch(() => {});
        throw new AccessorIntegrityError({
          ...op,
          message: `Size mismatch after copy to ${JSON.stringify(resourceIdentifier)}: expected ${size}, got ${properties.contentLength}; the copy was removed.`,
          transient: true,
        });
      }
      return {
        size,
        checksums: properties.contentMD5
          ? { md5: Buffer.from(properties.contentMD5).toString('hex') }
          : options.md5
            ? { md5: options.md5.toLowerCase() }
            : {},
      };
    } catch (error) {
      throw toAccessorError(error, op);
    }
  }

  /**
   * Fast paths for the transfer engine: Copy Blob from another Azure accessor
   * on the same account, else a presigned URL of the source handed to Azure.
   * Returns undefined (stream instead) when neither applies or Azure cannot
   * fetch the URL (e.g. an S3 server on a private network).
   */
  async copyFrom(
    source: Accessor,
    sourceResourceIdentifier: string,
    target: string,
    options: CopyOptions = {},
  ): Promise<WriteResult | undefined> {
    const targetSegments = this.segments(target);
    if (source instanceof AzureBlobAccessor && source.serviceClient.url === this.serviceClient.url) {
      const sourceSegments = source.segments(sourceResourceIdentifier);
      const signal = options.signal;
      const op = { operation: 'copy', resourceIdentifier: target, signal };
      const sourceClient = source.containerClient.getBlobClient(source.key(sourceSegments));
      let etag: string | undefined;
      try {
        etag = (await sourceClient.getProperties(signal ? { abortSignal: signal } : {})).etag;
      } catch (error) {
        throw toAccessorError(error, { ...op, resourceIdentifier: sourceResourceIdentifier });
      }
      await this.ensureContainer(op);
      await this.checkTarget(targetSegments, options.overwrite ?? true, op);
      const url = source.sharedKey ? await source.signedUrl(sourceSegments, 'r', 600) : sourceClient.url;
      return this.copyBlobFromUrl(url, targetSegments, {
        ...options,
        op,
        ...(etag ? { sourceEtag: etag } : {}),
      });
    }
    if (!this.urlCopy || !source.capabilities.presignRead || source.capabilities.url !== 'presigned')
      return undefined;
    let url: string;
    let size: number;
    let md5: string | undefined;
    try {
      const stat = await source.stat(sourceResourceIdentifier);
      size = stat.size;
      md5 = stat.checksums?.md5;
      url = await source.getUrl(sourceResourceIdentifier, { expiresIn: DEFAULT_EXPIRES_IN });
    } catch {
      return undefined;
    }
    try {
      return await this.copyFromUrl(url, target, {
        ...options,
        size,
        ...(md5 ? { md5 } : {}),
      });
    } catch (error) {
      // Refusals about the target stand; anything about fetching the source falls back to streaming.
      if (
        error instanceof AccessorResourceExistsError ||
        error instanceof OperationAbortedError ||
        error instanceof AccessorResourceInvalidError ||
        error instanceof AccessorParentResourceNotFoundError
      )
        throw error;
      return undefined;
    }
  }

  async remove(resourceIdentifier: string): Promise<void> {
    const segments = this.segments(resourceIdentifier);
    const op = { operation: 'remove', resourceIdentifier };
    if (segments.length === 0)
      throw new AccessorResourceInvalidError({ ...op, message: 'The root is a container.' });
    // A folder without a marker ends with its last file.
    this.forget(segments.slice(0, -1));
    try {
      await this.containerClient.getBlobClient(this.key(segments)).delete();
    } catch (error) {
      if (restError(error).status === 404 && (await this.containerExists(segments, op)))
        throw new AccessorResourceInvalidError(op);
      throw toAccessorError(error, op);
    }
  }

  /**
   * Write `name/` marker blobs for the container and its ancestors (a
   * non-recursive call needs the parent to exist). Refused where a file has
   * the name of the container or of one of its ancestors.
   */
  async makeContainer(resourceIdentifier: string, recursive = true): Promise<void> {
    const segments = this.segments(resourceIdentifier);
    const op = { operation: 'makeContainer', resourceIdentifier };
    await this.ensureContainer(op);
    if (segments.length === 0) return;
    const levels = segments.map((_, index) => segments.slice(0, index + 1));
    const files = await Promise.all(levels.map((level) => this.blobExists(this.key(level), op)));
    if (files.some(Boolean)) throw new AccessorResourceInvalidError(op);
    if (!recursive && segments.length > 1 && !(await this.containerExists(segments.slice(0, -1), op)))
      throw new AccessorParentResourceNotFoundError(op);
    const markers = recursive ? levels : [segments];
    try {
      await Promise.all(
        markers.map((level) =>
          this.containerClient
            .getBlockBlobClient(`${this.key(level)}/`)
            .upload(Buffer.alloc(0), 0, { metadata: FOLDER_METADATA }),
        ),
      );
      for (const level of levels) this.remember(level);
    } catch (error) {
      throw toAccessorError(error, op);
    }
  }

  async removeContainer(resourceIdentifier: string, options: { recursive?: boolean } = {}): Promise<void> {
    const segments = this.segments(resourceIdentifier);
    const op = { operation: 'removeContainer', resourceIdentifier };
    const prefix = this.containerPrefix(segments);
    const marker = segments.length === 0 ? undefined : prefix;
    const names: string[] = [];
    this.forget(segments);
    try {
      for await (const page of this.containerClient.listBlobsFlat({ prefix }).byPage({ maxPageSize: 5000 })) {
        for (const blob of page.segment.blobItems) {
          names.push(blob.name);
          if (!options.recursive && blob.name !== marker) throw new AccessorContainerNotEmptyError(op);
        }
      }
    } catch (error) {
      if (restError(error).code === 'ContainerNotFound' && segments.length === 0) return;
      throw toAccessorError(error, op);
    }
    if (names.length === 0) {
      if (segments.length === 0) return; // the root always exists and stays
      if (await this.blobExists(this.key(segments), op)) throw new AccessorResourceInvalidError(op);
      throw new AccessorResourceNotFoundError(op);
    }
    // Deepest first, markers last, so an interrupted removal leaves containers that still exist.
    const ordered = names
      .filter((name) => !name.endsWith('/'))
      .concat(names.filter((name) => name.endsWith('/')).sort((a, b) => b.length - a.length));
    const files = ordered.filter((name) => !name.endsWith('/'));
    const markers = ordered.filter((name) => name.endsWith('/'));
    for (const batch of [files, markers]) {
      const queue = [...batch];
      await Promise.all(
        Array.from({ length: Math.min(REMOVE_CONCURRENCY, queue.length) }, async () => {
          for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
            try {
              await this.containerClient.getBlobClient(name).delete();
            } catch (error) {
              if (restError(error).status !== 404) throw toAccessorError(error, op);
            }
          }
        }),
      );
    }
  }

  /**
   * A read-only SAS URL for the blob (`sp=r`), valid `expiresIn` seconds
   * (default 3600): signed with the account key, or with a user delegation
   * key for token credentials. The URL holds a signature, never the key.
   */
  override async getUrl(resourceIdentifier: string, options: GetUrlOptions = {}): Promise<string> {
    const segments = this.segments(resourceIdentifier);
    if (segments.length === 0 || this.capabilities.url === false)
      throw new AccessorUnsupportedOperationError({ operation: 'getUrl', resourceIdentifier });
    return this.signedUrl(segments, 'r', options.expiresIn ?? DEFAULT_EXPIRES_IN);
  }

  /**
   * A SAS URL that lets its holder create or replace this one blob
   * (`sp=cw`): `PUT` with header `x-ms-blob-type: BlockBlob`.
   */
  async getPutUrl(resourceIdentifier: string, options: GetUrlOptions = {}): Promise<string> {
    const segments = this.segments(resourceIdentifier);
    if (segments.length === 0 || !this.capabilities.presignWrite)
      throw new AccessorUnsupportedOperationError({ operation: 'getPutUrl', resourceIdentifier });
    return this.signedUrl(segments, 'cw', options.expiresIn ?? DEFAULT_EXPIRES_IN);
  }

  // --- internals ---

  /** Blob name of a resource identifier's segments. */
  key(segments: string[]): string {
    return this.rootPrefix + segments.join('/');
  }

  /** The listing prefix of a container ('' or ending in '/'). */
  private containerPrefix(segments: string[]): string {
    return segments.length === 0 ? this.rootPrefix : `${this.key(segments)}/`;
  }

  private blockClient(segments: string[]): BlockBlobClient {
    return this.containerClient.getBlockBlobClient(this.key(segments));
  }

  /** The child name of a listed blob or prefix, or undefined if it cannot be a resource identifier. */
  private childName(prefix: string, name: string): string | undefined {
    const child = name.slice(prefix.length);
    if (child === '' || child.includes('/')) return undefined;
    try {
      return normalizeResourceIdentifier(child) === child ? child : undefined;
    } catch {
      return undefined;
    }
  }

  private async blobExists(key: string, op: ErrorContext): Promise<boolean> {
    try {
      return await this.containerClient.getBlobClient(key).exists();
    } catch (error) {
      throw toAccessorError(error, op);
    }
  }

  /** A container exists when anything (its marker or a blob) is under `name/`. */
  private async containerExists(segments: string[], op: ErrorContext): Promise<boolean> {
    if (segments.length === 0) return true;
    try {
      const page = await this.containerClient
        .listBlobsFlat({ prefix: `${this.key(segments)}/` })
        .byPage({ maxPageSize: 1 })
        .next();
      return !page.done && page.value.segment.blobItems.length > 0;
    } catch (error) {
      if (restError(error).code === 'ContainerNotFound') return false;
      throw toAccessorError(error, op);
    }
  }

  /** containerExists, answered from the containers this instance saw lately. */
  private async parentExists(segments: string[], op: ErrorContext): Promise<boolean> {
    if (segments.length === 0 || this.knownContainers.has(segments.join('/'))) return true;
    const exists = await this.containerExists(segments, op);
    if (exists) this.remember(segments);
    return exists;
  }

  private remember(segments: string[]): void {
    this.knownContainers.remember(segments.join('/'));
  }

  /** Forget cached containers at or under `segments` (all of them for the root). */
  private forget(segments: string[]): void {
    this.knownContainers.forget(segments.join('/'));
  }

  /**
   * Refuse before any byte moves: a missing parent container, a container at
   * the target, an existing target unless `skipExists` (the commit's
   * condition settles races, and refuses an existing target on its own).
   */
  private async checkTarget(segments: string[], skipExists: boolean, op: ErrorContext): Promise<void> {
    const [parentExists, isContainer, exists] = await Promise.all([
      this.parentExists(segments.slice(0, -1), op),
      this.containerExists(segments, op),
      skipExists ? Promise.resolve(false) : this.blobExists(this.key(segments), op),
    ]);
    if (!parentExists) throw new AccessorParentResourceNotFoundError(op);
    if (isContainer) throw new AccessorResourceInvalidError({ ...op, message: 'The target is a container.' });
    if (exists) throw new AccessorResourceExistsError(op);
  }

  /**
   * The state of a resumable write: a new one (saved before any block is
   * staged) or the one it continues, checked. The source then starts at
   * `resume.offset`, which must be a whole number of blocks.
   */
  private async startResumable(
    options: WriteOptions,
    op: ErrorContext,
  ): Promise<{ blockSize: number; resume: BlockResume }> {
    const resume = options.resume!;
    let nonce: string;
    let blockSize: number;
    if (resume.state === undefined) {
      if (resume.offset !== 0)
        throw new AccessorOperationFailedError({
          ...op,
          message: 'A resumable write without a saved state must start at offset 0.',
        });
      nonce = newNonce();
      blockSize = effectiveBlockSize(this.blockSize, options.size);
    } else {
      const saved = parseResumeState(resume.state);
      if (
        !saved ||
        !Number.isSafeInteger(resume.offset) ||
        resume.offset < 0 ||
        resume.offset % saved.blockSize !== 0 ||
        resume.offset / saved.blockSize > MAX_BLOCKS ||
        (options.size !== undefined && resume.offset > options.size)
      )
        throw new AccessorOperationFailedError({
          ...op,
          message: `The saved state does not describe an Azure block upload that can continue at byte ${resume.offset}.`,
        });
      ({ nonce, blockSize } = saved);
    }
    const state = (offset: number): AzureResumeState => ({ version: 1, nonce, blockSize, offset });
    // Saved before the first block is staged: a kill at any moment leaves a findable upload.
    await resume.save(state(resume.offset));
    return {
      blockSize,
      resume: {
        nonce,
        startIndex: resume.offset / blockSize,
        hashes: resume.hashes,
        save: (offset) => resume.save(state(offset)),
      },
    };
  }

  /** The blob's uncommitted blocks; undefined when it has none and is not there either. */
  private async uncommittedBlocks(
    segments: string[],
    op: ErrorContext,
  ): Promise<Array<{ name: string; size: number }> | undefined> {
    try {
      const list = await this.blockClient(segments).getBlockList('uncommitted', {
        ...(op.signal ? { abortSignal: op.signal } : {}),
      });
      return list.uncommittedBlocks ?? [];
    } catch (error) {
      const { status, code } = restError(error);
      if (status === 404 || code === 'BlobNotFound' || code === 'ContainerNotFound') return undefined;
      throw toAccessorError(error, op);
    }
  }

  /** Create the Azure container once, unless told not to; a 403 (container-scoped credentials) is ignored. */
  private ensureContainer(op: ErrorContext): Promise<void> {
    if (!this.createContainer) return Promise.resolve();
    if (!this.containerReady) {
      this.containerReady = this.containerClient.createIfNotExists().then(
        () => {},
        (error: unknown) => {
          if (restError(error).status === 403) return;
          this.containerReady = undefined;
          throw toAccessorError(error, op);
        },
      );
    }
    return this.containerReady;
  }

  private async copyBlobFromUrl(
    sourceUrl: string,
    targetSegments: string[],
    options: CopyOptions & { op: ErrorContext; sourceEtag?: string },
  ): Promise<WriteResult> {
    const { op, signal } = { ...options, signal: options.signal };
    const client = this.blockClient(targetSegments);
    try {
      const poller = await client.beginCopyFromURL(sourceUrl, {
        ...(options.overwrite === false ? { conditions: { ifNoneMatch: '*' } } : {}),
        ...(options.sourceEtag ? { sourceConditions: { ifMatch: options.sourceEtag } } : {}),
        ...(signal ? { abortSignal: signal } : {}),
        intervalInMs: 200,
      });
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new OperationAbortedError());
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      let result: Awaited<ReturnType<typeof poller.pollUntilDone>>;
      try {
        result = await Promise.race([poller.pollUntilDone(), aborted]);
      } catch (error) {
        if (signal?.aborted) {
          // Stop a pending copy and remove its unfinished target.
          poller.stopPolling();
          const copyId = poller.getOperationState().result?.copyId;
          if (copyId) await client.abortCopyFromURL(copyId).catch(() => {});
          await client.delete().catch(() => {});
        }
        throw error;
      } finally {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
      if (result.copyStatus !== 'success') {
        await client.delete().catch(() => {});
        throw new AccessorOperationFailedError({
          ...op,
          message: `Copy to ${JSON.stringify(op.resourceIdentifier)} ended with status ${result.copyStatus ?? 'unknown'}.`,
          transient: true,
        });
      }
      const properties = await client.getProperties();
      return {
        size: properties.contentLength ?? 0,
        checksums: properties.contentMD5 ? { md5: Buffer.from(properties.contentMD5).toString('hex') } : {},
      };
    } catch (error) {
      throw toAccessorError(error, op);
    }
  }

  /** A SAS URL for one blob with `permissions`, valid `expiresIn` seconds (5 minutes' clock skew allowed). */
  private async signedUrl(segments: string[], permissions: string, expiresIn: number): Promise<string> {
    const client = this.containerClient.getBlobClient(this.key(segments));
    const now = Date.now();
    const options = {
      permissions: BlobSASPermissions.parse(permissions),
      startsOn: new Date(now - 5 * 60_000),
      expiresOn: new Date(now + Math.max(1, expiresIn) * 1000),
    };
    const op = { operation: 'getUrl', resourceIdentifier: segments.join('/') };
    try {
      if (this.sharedKey) return await client.generateSasUrl(options);
      return await client.generateUserDelegationSasUrl(
        options,
        await this.userDelegationKey(options.expiresOn),
      );
    } catch (error) {
      throw toAccessorError(error, op);
    }
  }

  private async userDelegationKey(until: Date): Promise<UserDelegationKey> {
    const cached = this.delegationKey;
    if (cached && cached.expiresOn >= until.getTime()) return cached.key;
    const startsOn = new Date(Date.now() - 5 * 60_000);
    // Valid a day (the service allows up to 7), so one key serves many URLs.
    const expiresOn = new Date(Math.max(until.getTime(), Date.now() + 24 * 3600_000));
    const key = await this.serviceClient.getUserDelegationKey(startsOn, expiresOn);
    this.delegationKey = { key, expiresOn: expiresOn.getTime() };
    return key;
  }
}

/** What a resumable write saves: the upload's block-id nonce, its block size, bytes staged. */
type AzureResumeState = {
  version: 1;
  nonce: string;
  blockSize: number;
  offset: number;
};

/** The state as saved by `write`, or undefined for anything else (it comes from a file on disk). */
function parseResumeState(state: ResumeState): AzureResumeState | undefined {
  if (state === null || typeof state !== 'object') return undefined;
  const { version, nonce, blockSize, offset } = state as Record<string, unknown>;
  if (version !== 1 || typeof nonce !== 'string' || !NONCE_PATTERN.test(nonce)) return undefined;
  if (typeof blockSize !== 'number' || !Number.isSafeInteger(blockSize)) return undefined;
  if (blockSize < 1 || blockSize > MAX_BLOCK_SIZE) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return { version, nonce, blockSize, offset };
}

/** Whether a (base64) block id is one of the upload's with this nonce. */
function isOwnBlock(name: string, nonce: string): boolean {
  const match = /^([0-9a-f]{24})-(\d{6})$/.exec(Buffer.from(name, 'base64').toString('latin1'));
  return match?.[1] === nonce && blockId(nonce, Number(match[2])) === name;
}

/** Passes bytes through; with an expected MD5, fails at the end if the bytes do not match it. */
class VerifyingStream extends Transform {
  private readonly hash;
  constructor(
    private readonly expectedMd5: string | undefined,
    private readonly mismatch: () => Error,
  ) {
    // 1 MiB buffered: the default 16 KiB costs an event-loop turn per small chunk.
    super({ highWaterMark: 1024 * 1024 });
    this.hash = expectedMd5 ? createHash('md5') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash?.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.hash && this.hash.digest('hex') !== this.expectedMd5) callback(this.mismatch());
    else callback();
  }
}

/** Size of what a URL serves, from one GET of its first byte (presigned URLs allow GET only). */
async function probeSize(url: string, op: ErrorContext): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { range: 'bytes=0-0' },
      ...(op.signal ? { signal: op.signal } : {}),
    });
  } catch (error) {
    throw toAccessorError(error, op);
  }
  await response.body?.cancel().catch(() => {});
  const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
  if (response.status === 206 && total !== undefined) return Number(total);
  if (response.status === 200 && response.headers.get('content-length') !== null)
    return Number(response.headers.get('content-length'));
  if (response.status === 416) return 0;
  throw new AccessorOperationFailedError({
    ...op,
    message: `The source URL answered HTTP ${response.status}; its size is unknown.`,
  });
}

function join(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new OperationAbortedError();
}

/** What blob properties or download headers tell about a blob (Content-MD5 as hex). */
function blobStat(properties: {
  contentLength?: number;
  lastModified?: Date;
  etag?: string;
  contentMD5?: Uint8Array;
}): ResourceStat {
  return {
    size: properties.contentLength ?? 0,
    isContainer: false,
    ...(properties.lastModified ? { modified: properties.lastModified } : {}),
    ...(properties.etag ? { etag: properties.etag } : {}),
    checksums: properties.contentMD5 ? { md5: Buffer.from(properties.contentMD5).toString('hex') } : {},
  };
}
