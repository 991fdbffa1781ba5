import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  type Accessor,
  AccessorContainerNotEmptyError,
  AccessorOperationFailedError,
  AccessorParentResourceNotFoundError,
  AccessorPermissionDeniedError,
  AccessorResourceExistsError,
  AccessorResourceIdentifierError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  assertIntegrity,
  BaseAccessor,
  bytesOf,
  type ChecksumAlgorithm,
  type Checksums,
  ContainerCache,
  type CopyOptions,
  defineCapabilities,
  digestsOf,
  type ExpectedChecksum,
  type GetUrlOptions,
  isHashSupported,
  type ListEntry,
  MeasuringStream,
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
  type WriteResume,
  type WriteSource,
} from '@stowage/core';
import type { S3AccessorOptions } from './options.js';
import { type ErrorContext, isNotFound, redact, s3HttpStatus, toAccessorError } from './s3-errors.js';
import {
  completedPart,
  leadingFullParts,
  listAllParts,
  parseResumeState,
  type S3ResumeState,
  type UploadChecksumAlgorithm,
} from './s3-resume.js';
import { useUnsignedPayloadWhenChecksummed } from './unsigned-payload.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3's limits for multipart uploads. */
export const S3_LIMITS = Object.freeze({
  minPartSize: 5 * MiB,
  maxPartSize: 5 * GiB,
  maxParts: 10_000,
  /** Largest object a single CopyObject may copy. */
  maxCopyObjectSize: 5 * GiB,
  /** Keys per DeleteObjects request. */
  maxDeleteBatch: 1000,
});
const DEFAULT_PART_SIZE = 8 * MiB;
const DEFAULT_QUEUE_SIZE = 4;
/** Parts of a multipart server-side copy (UploadPartCopy); no bytes pass through the client. */
const DEFAULT_COPY_PART_SIZE = 512 * MiB;

export interface PresignedPutOptions {
  /** Seconds until the URL expires (default: the accessor's `urlExpiresIn`, 3600). */
  expiresIn?: number;
  /** Content-Type the uploader must send (it becomes part of the signature). */
  contentType?: string;
}

/** Advanced knobs, mostly for tests: when copy switches to UploadPartCopy and its part size. */
export interface S3CopyTuning {
  multipartCopyThreshold?: number;
  copyPartSize?: number;
}

/**
 * A Transform that counts and hashes the bytes and checks the expected size
 * and checksum *before* it ends: a mismatch errors the body, so lib-storage
 * never sends the PutObject / CompleteMultipartUpload and nothing appears at
 * the target. (Not a MeasuringStream: lib-storage reads a `size` property as
 * the body's total length.)
 */
class VerifyingStream extends Transform {
  bytes = 0;
  private readonly hashes: Array<[ChecksumAlgorithm, Hash]>;
  private cached: Checksums | undefined;

  constructor(
    private readonly resourceIdentifier: string,
    algorithms: ChecksumAlgorithm[],
    private readonly expected: { size?: number | undefined; checksum?: ExpectedChecksum | undefined },
  ) {
    super();
    this.hashes = algorithms
      .filter(isHashSupported)
      .map((algorithm) => [algorithm, createHash(algorithm)] as [ChecksumAlgorithm, Hash]);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    for (const [, hash] of this.hashes) hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      assertIntegrity(
        this.resourceIdentifier,
        { size: this.bytes, checksums: this.digests() },
        this.expected,
      );
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  digests(): Checksums {
    if (!this.cached) {
      this.cached = {};
      for (const [algorithm, hash] of this.hashes) this.cached[algorithm] = hash.digest('hex');
    }
    return this.cached;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new OperationAbortedError();
}

/** `bucket/key` for x-amz-copy-source, each segment percent-encoded. */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function roundUpToMiB(bytes: number): number {
  return Math.ceil(bytes / MiB) * MiB;
}

/**
 * Accessor for S3 and S3-compatible servers (AWS, MinIO, versitygw, ...) on
 * the AWS SDK v3. Resource identifiers map to keys under `prefix`;
 * containers are key prefixes with a zero-byte `dir/` marker object, so an
 * empty container exists and is listed. Writes stream through
 * `@aws-sdk/lib-storage` (multipart above one part) and are atomic: the object
 * appears only when PutObject / CompleteMultipartUpload succeeds, after the
 * expected size and checksum have been checked; a failed or aborted write
 * aborts its multipart upload. Resumable writes (`options.resume`, from the
 * transfer engine's checkpoints) run their own multipart loop, save the
 * upload id and part size, and keep the upload on failure for
 * `resumeOffset` / `discardResume`.
 */
export class S3Accessor extends BaseAccessor {
  readonly name = 's3';
  readonly capabilities;
  readonly bucket: string;
  /** The key prefix, '' or ending with '/'. */
  readonly prefix: string;
  readonly client: S3Client;

  private readonly ownsClient: boolean;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly conditionalWrites: 'if-none-match' | 'head';
  private readonly listPageSize: number;
  private readonly urlExpiresIn: number;
  private readonly multipartCopyThreshold: number;
  private readonly copyPartSize: number;
  private readonly secrets: string[];
  /** Endpoint, region and access key id, when static: accessors with the same one can copy server-side. */
  private readonly serviceId: string | undefined;
  private readonly checksumAlgorithm: S3AccessorOptions['checksumAlgorithm'];

  constructor(options: S3AccessorOptions & S3CopyTuning) {
    super();
    if (!options?.bucket)
      throw new AccessorOperationFailedError({ operation: 'configure', message: 'S3 bucket is required.' });
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix);
    this.partSize = Math.max(S3_LIMITS.minPartSize, options.partSize ?? DEFAULT_PART_SIZE);
    if (this.partSize > S3_LIMITS.maxPartSize)
      throw new AccessorOperationFailedError({ operation: 'configure', message: 'partSize exceeds 5 GiB.' });
    this.queueSize = Math.max(1, options.queueSize ?? DEFAULT_QUEUE_SIZE);
    this.conditionalWrites = options.conditionalWrites ?? 'if-none-match';
    this.listPageSize = Math.min(1000, Math.max(1, options.listPageSize ?? 1000));
    this.urlExpiresIn = options.urlExpiresIn ?? 3600;
    this.multipartCopyThreshold = options.multipartCopyThreshold ?? S3_LIMITS.maxCopyObjectSize;
    this.copyPartSize = Math.max(S3_LIMITS.minPartSize, options.copyPartSize ?? DEFAULT_COPY_PART_SIZE);
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const config: S3ClientConfig = { ...options.clientConfig };
      // Local and third-party endpoints rarely have per-bucket DNS names.
      if (config.endpoint !== undefined && config.forcePathStyle === undefined) config.forcePathStyle = true;
      this.client = new S3Client(config);
      if (options.signPayload !== true) useUnsignedPayloadWhenChecksummed(this.client);
      this.ownsClient = true;
    }
    const credentials = options.clientConfig?.credentials as { secretAccessKey?: string } | undefined;
    this.secrets = credentials?.secretAccessKey ? [credentials.secretAccessKey] : [];
    const endpoint = options.clientConfig?.endpoint;
    const accessKeyId = (credentials as { accessKeyId?: string } | undefined)?.accessKeyId;
    this.serviceId =
      !options.client && accessKeyId && (endpoint === undefined || typeof endpoint === 'string')
        ? JSON.stringify([endpoint ?? 'aws', options.clientConfig?.region ?? '', accessKeyId])
        : undefined;
    this.checksumAlgorithm = options.checksumAlgorithm;
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
      url: 'presigned',
      presignRead: true,
      presignWrite: true,
      multipart: {
        minPartSize: S3_LIMITS.minPartSize,
        maxPartSize: S3_LIMITS.maxPartSize,
        maxParts: S3_LIMITS.maxParts,
      },
      append: false,
      atomicWrite: true,
      conditionalCreate: this.conditionalWrites === 'if-none-match',
      resume: true,
      // ETags are MD5 only for single-part unencrypted uploads: not a checksum to rely on.
      checksums: [],
      sequence: true,
      pathConfinement: true,
      symlinks: false,
      // Keys may be 1024 bytes; file-backed servers (versitygw posix, MinIO) cap each segment at 255.
      maxNameLength: 255,
    });
  }

  // ---------------------------------------------------------------- keys

  /** Object key of a resource identifier (validated: no '..', no absolute paths). */
  key(resourceIdentifier: string): string {
    return this.prefix + splitResourceIdentifier(resourceIdentifier).join('/');
  }

  /** Key prefix of a container's children ('dir/'), the accessor prefix for the root. */
  private dirKey(segments: string[]): string {
    return segments.length === 0 ? this.prefix : `${this.prefix}${segments.join('/')}/`;
  }

  private fail(error: unknown, context: ErrorContext): Error {
    return toAccessorError(error, context, this.secrets);
  }

  // ---------------------------------------------------------------- listing

  async list(resourceIdentifier: string): Promise<string[]> {
    return (await this.listStats(resourceIdentifier)).map((entry) => entry.resourceIdentifier);
  }

  /** Direct children with sizes, from ListObjectsV2 (Delimiter '/'), all pages. */
  async listStats(resourceIdentifier: string): Promise<ListEntry[]> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    const op = { operation: 'list', resourceIdentifier };
    const base = segments.join('/');
    const dir = this.dirKey(segments);
    const entries: ListEntry[] = [];
    let sawMarker = false;
    try {
      let token: string | undefined;
      do {
        const page: ListObjectsV2CommandOutput = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: dir,
            Delimiter: '/',
            MaxKeys: this.listPageSize,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          const key = object.Key ?? '';
          if (key === dir) {
            sawMarker = true;
            continue;
          }
          const name = key.slice(dir.length);
          if (!isPlainName(name)) continue;
          entries.push({
            resourceIdentifier: base === '' ? name : `${base}/${name}`,
            size: Number(object.Size ?? 0),
            isContainer: false,
          });
        }
        for (const common of page.CommonPrefixes ?? []) {
          const name = (common.Prefix ?? '').slice(dir.length, -1);
          if (!isPlainName(name)) continue;
          entries.push({
            resourceIdentifier: base === '' ? name : `${base}/${name}`,
            size: 0,
            isContainer: true,
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.fail(error, op);
    }
    if (entries.length === 0 && !sawMarker && segments.length > 0) {
      // Nothing under the prefix: a file, or nothing at all.
      if (await this.headIfExists(this.key(resourceIdentifier), op))
        throw new AccessorResourceInvalidError({
          ...op,
          message: `${JSON.stringify(resourceIdentifier)} is a file.`,
        });
      throw new AccessorResourceNotFoundError(op);
    }
    // A key and a prefix of the same name can coexist in S3: list it once, as the file.
    const seen = new Set<string>();
    return entries
      .filter((entry) => (seen.has(entry.resourceIdentifier) ? false : seen.add(entry.resourceIdentifier)))
      .sort((a, b) =>
        a.resourceIdentifier < b.resourceIdentifier
          ? -1
          : a.resourceIdentifier > b.resourceIdentifier
            ? 1
            : 0,
      );
  }

  /** Whether any key starts with the container's prefix (its marker included). */
  private async prefixHasKeys(segments: string[], op: ErrorContext): Promise<boolean> {
    if (segments.length === 0) return true;
    try {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.dirKey(segments), MaxKeys: 1 }),
        op.signal ? { abortSignal: op.signal } : {},
      );
      return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
    } catch (error) {
      throw this.fail(error, op);
    }
  }

  private async headIfExists(key: string, op: ErrorContext): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key }),
        op.signal ? { abortSignal: op.signal } : {},
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.fail(error, op);
    }
  }

  // ---------------------------------------------------------------- stat

  async stat(resourceIdentifier: string): Promise<ResourceStat> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    const op = { operation: 'stat', resourceIdentifier };
    if (segments.length === 0) return { size: 0, isContainer: true };
    const head = await this.headIfExists(this.key(resourceIdentifier), op);
    if (head) return objectStat(head);
    if (await this.prefixHasKeys(segments, op)) return { size: 0, isContainer: true };
    throw new AccessorResourceNotFoundError(op);
  }

  override async isFile(resourceIdentifier: string): Promise<boolean> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    if (segments.length === 0) return false;
    const op = { operation: 'isFile', resourceIdentifier };
    return (await this.headIfExists(this.key(resourceIdentifier), op)) !== undefined;
  }

  override async isContainer(resourceIdentifier: string): Promise<boolean> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    const op = { operation: 'isContainer', resourceIdentifier };
    if (segments.length === 0) return true;
    // A key with this exact name is a file even if keys below it exist too.
    const [head, hasKeys] = await Promise.all([
      this.headIfExists(this.key(resourceIdentifier), op),
      this.prefixHasKeys(segments, op),
    ]);
    return !head && hasKeys;
  }

  // ---------------------------------------------------------------- read

  async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}): Promise<Readable> {
    const signal = options.signal;
    const { segments, op } = this.readTarget(resourceIdentifier, signal);
    const start = Math.max(0, options.start ?? 0);
    const end = options.end;
    if (end !== undefined && end < start) {
      // fs.createReadStream semantics: an empty range reads nothing (the file must exist).
      await this.stat(resourceIdentifier);
      return Readable.from([]);
    }
    const range =
      options.start !== undefined || end !== undefined ? `bytes=${start}-${end ?? ''}` : undefined;
    const response = await this.getObject(resourceIdentifier, segments, range, op);
    return response ? this.bodyOf(response, signal) : Readable.from([]);
  }

  /** The whole object with its GetObject headers as the stat: one request instead of HEAD + GET. */
  async openRead(resourceIdentifier: string, options: { signal?: AbortSignal } = {}): Promise<OpenedRead> {
    const signal = options.signal;
    const { segments, op } = this.readTarget(resourceIdentifier, signal);
    // Without a range there is no 416: always a response.
    const response = (await this.getObject(resourceIdentifier, segments, undefined, op))!;
    return { stream: this.bodyOf(response, signal), stat: objectStat(response) };
  }

  /** A read's identifier checked: a file, never the root; not aborted yet. */
  private readTarget(resourceIdentifier: string, signal: AbortSignal | undefined) {
    const segments = splitResourceIdentifier(resourceIdentifier);
    const op = { operation: 'read', resourceIdentifier, signal };
    if (segments.length === 0)
      throw new AccessorResourceInvalidError({ ...op, message: 'The root is a container.' });
    throwIfAborted(signal);
    return { segments, op };
  }

  copiesFrom(source: Accessor): boolean {
    return source instanceof S3Accessor && this.sameService(source);
  }

  /** GetObject, or undefined for a range with nothing in it (416); typed errors otherwise. */
  private async getObject(
    resourceIdentifier: string,
    segments: string[],
    range: string | undefined,
    op: ErrorContext,
  ): Promise<GetObjectCommandOutput | undefined> {
    try {
      return await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(resourceIdentifier), Range: range }),
        op.signal ? { abortSignal: op.signal } : {},
      );
    } catch (error) {
      if (isNotFound(error)) {
        if (await this.prefixHasKeys(segments, op)) throw new AccessorResourceInvalidError({ ...op, error });
        throw new AccessorResourceNotFoundError({ ...op, error });
      }
      if (s3HttpStatus(error) === 416) {
        // A start at or past the end (or any range of an empty object): nothing to read.
        await this.stat(resourceIdentifier);
        return undefined;
      }
      throw this.fail(error, op);
    }
  }

  private bodyOf(response: GetObjectCommandOutput, signal: AbortSignal | undefined): Readable {
    const body = response.Body as Readable;
    if (signal) {
      const onAbort = () => body.destroy(new OperationAbortedError());
      signal.addEventListener('abort', onAbort, { once: true });
      body.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return body;
  }

  // ---------------------------------------------------------------- write

  async write(
    resourceIdentifier: string,
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    let consumed = false;
    try {
      const segments = splitResourceIdentifier(resourceIdentifier);
      const signal = options.signal;
      const op = { operation: 'write', resourceIdentifier, signal };
      if (segments.length === 0)
        throw new AccessorResourceInvalidError({ ...op, message: 'The root is a container.' });
      throwIfAborted(signal);
      const key = this.key(resourceIdentifier);
      const overwrite = options.overwrite ?? true;
      await this.checkTarget(segments, key, overwrite, op);
      throwIfAborted(signal);
      if (options.resume) {
        consumed = true;
        return await this.writeResumable(
          resourceIdentifier,
          key,
          toReadable(source),
          options,
          options.resume,
          op,
        );
      }

      const algorithms = requestedAlgorithms(options);
      if (typeof source === 'string' || source instanceof Uint8Array) {
        const bytes = bytesOf(source);
        if (bytes.length <= this.partSize) {
          consumed = true;
          return await this.putBytes(resourceIdentifier, key, bytes, algorithms, overwrite, options, op);
        }
      }
      const body = new VerifyingStream(resourceIdentifier, algorithms, options);
      const input = toReadable(source);
      consumed = true;
      input.on('error', (error) => body.destroy(error));
      input.pipe(body);
      const onAbort = () => {
        const error = new OperationAbortedError();
        input.destroy(error);
        body.destroy(error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      const knownSize = options.size ?? byteLengthOf(source);
      const partSize =
        knownSize === undefined
          ? this.partSize
          : Math.max(this.partSize, roundUpToMiB(Math.ceil(knownSize / S3_LIMITS.maxParts)));
      const upload = new Upload({
        client: this.scopedClient(signal),
        params: {
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ...(this.checksumAlgorithm ? { ChecksumAlgorithm: this.checksumAlgorithm } : {}),
          ...this.createOnly(overwrite),
        },
        partSize,
        queueSize: this.queueSize,
        leavePartsOnError: false,
      });
      let reported = 0;
      const report = (bytes: number) => {
        if (bytes <= reported) return;
        reported = bytes;
        options.onProgress?.(bytes);
      };
      if (options.onProgress) upload.on('httpUploadProgress', (progress) => report(progress.loaded ?? 0));
      try {
        await upload.done();
      } catch (error) {
        // lib-storage stops reading on failure: release the source (file handles, connections).
        input.destroy();
        body.destroy();
        throw this.fail(error, op);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      const size = body.bytes;
      if (reported < size || (size === 0 && reported === 0)) options.onProgress?.(size);
      return { size, checksums: askedFor(body.digests(), options.checksums) };
    } finally {
      if (!consumed && source instanceof Readable) source.destroy();
    }
  }

  /**
   * One PutObject of bytes already in memory (a small local file the transfer
   * engine read whole): checked and hashed before anything is sent, without
   * the stream, Transform and lib-storage Upload a streamed write sets up.
   */
  private async putBytes(
    resourceIdentifier: string,
    key: string,
    bytes: Buffer,
    algorithms: ChecksumAlgorithm[],
    overwrite: boolean,
    options: WriteOptions,
    op: ErrorContext,
  ): Promise<WriteResult> {
    const digests = digestsOf(bytes, algorithms);
    assertIntegrity(resourceIdentifier, { size: bytes.length, checksums: digests }, options);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ...(this.checksumAlgorithm ? { ChecksumAlgorithm: this.checksumAlgorithm } : {}),
          ...this.createOnly(overwrite),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
    } catch (error) {
      throw this.fail(error, op);
    }
    options.onProgress?.(bytes.length);
    return { size: bytes.length, checksums: askedFor(digests, options.checksums) };
  }

  // ---------------------------------------------------------------- resumable writes

  /** Part size of a write: the configured one, grown so a known size fits in 10,000 parts. */
  private partSizeFor(size: number | undefined): number {
    return size === undefined
      ? this.partSize
      : Math.max(this.partSize, roundUpToMiB(Math.ceil(size / S3_LIMITS.maxParts)));
  }

  /** The flexible checksum a resumable upload is created with: as lib-storage chooses it. */
  private async uploadChecksumAlgorithm(): Promise<UploadChecksumAlgorithm | undefined> {
    if (this.checksumAlgorithm) return this.checksumAlgorithm;
    const config = this.client.config as { requestChecksumCalculation?: () => Promise<string> };
    const mode = await config.requestChecksumCalculation?.();
    return mode === 'WHEN_REQUIRED' ? undefined : 'CRC32';
  }

  private resumeStateOf(key: string, state: ResumeState | undefined): S3ResumeState | undefined {
    return parseResumeState(state, {
      bucket: this.bucket,
      key,
      minPartSize: S3_LIMITS.minPartSize,
      maxPartSize: S3_LIMITS.maxPartSize,
    });
  }

  /**
   * A resumable write (`options.resume`, set by the transfer engine): its own
   * multipart loop instead of lib-storage, so the upload id and part size can
   * be saved before the first part and the upload continued by another
   * process. Parts of a fixed size go up `queueSize` at a time (memory about
   * `(queueSize + 1) x partSize`); after each one the checkpoint records the
   * bytes covered by the contiguous run of completed parts from part 1. A
   * continued write lists the kept parts again (their ETags and checksums)
   * and sends parts k+1.. from its source, which starts at byte k x partSize.
   * Size and checksums are checked before CompleteMultipartUpload, which
   * carries `If-None-Match: *` for `overwrite: false` as the non-resumable
   * path does. On failure the multipart upload stays: the engine either
   * resumes it or calls `discardResume`.
   */
  private async writeResumable(
    resourceIdentifier: string,
    key: string,
    input: Readable,
    options: WriteOptions,
    resume: WriteResume,
    op: ErrorContext,
  ): Promise<WriteResult> {
    const signal = options.signal;
    const abort = signal ? { abortSignal: signal } : {};
    const overwrite = options.overwrite ?? true;
    let measuring: MeasuringStream | undefined;
    let onAbort: (() => void) | undefined;
    const inFlight = new Set<Promise<void>>();
    /** Checkpoint saves, one after the other (never rejects). */
    let saving = Promise.resolve();
    try {
      // The upload to continue (its kept parts) or a new one, saved before any part is sent.
      let state: S3ResumeState;
      const kept: CompletedPart[] = [];
      if (resume.state) {
        const parsed = this.resumeStateOf(key, resume.state);
        if (
          !parsed ||
          !Number.isSafeInteger(resume.offset) ||
          resume.offset < 0 ||
          resume.offset % parsed.partSize !== 0 ||
          (options.size !== undefined && parsed.size !== undefined && parsed.size !== options.size)
        )
          throw new AccessorResourceInvalidError({
            ...op,
            message: 'The checkpoint names no multipart upload this write can continue.',
          });
        const count = resume.offset / parsed.partSize;
        let listed: ReturnType<typeof leadingFullParts>;
        try {
          listed = leadingFullParts(await listAllParts(this.client, parsed, signal), parsed.partSize);
        } catch (error) {
          throw this.fail(error, op);
        }
        if (listed.length < count)
          throw new AccessorOperationFailedError({
            ...op,
            message: `The multipart upload no longer has the ${count} part(s) the checkpoint counted (${listed.length} left).`,
          });
        kept.push(...listed.slice(0, count).map(completedPart));
        state = parsed;
      } else {
        if (resume.offset !== 0)
          throw new AccessorResourceInvalidError({
            ...op,
            message: 'A resumable write from a non-zero offset needs the checkpoint state.',
          });
        const checksumAlgorithm = await this.uploadChecksumAlgorithm();
        let uploadId: string | undefined;
        try {
          // Without the signal: an abort must not hide an upload that the server created.
          uploadId = (
            await this.client.send(
              new CreateMultipartUploadCommand({
                Bucket: this.bucket,
                Key: key,
                ...(checksumAlgorithm ? { ChecksumAlgorithm: checksumAlgorithm } : {}),
              }),
            )
          ).UploadId;
        } catch (error) {
          throw this.fail(error, op);
        }
        if (!uploadId)
          throw new AccessorOperationFailedError({
            ...op,
            message: 'CreateMultipartUpload returned no UploadId.',
          });
        state = {
          version: 1,
          bucket: this.bucket,
          key,
          uploadId,
          partSize: this.partSizeFor(options.size),
          ...(options.size !== undefined ? { size: options.size } : {}),
          ...(checksumAlgorithm ? { checksumAlgorithm } : {}),
          offset: 0,
        };
        try {
          await resume.save(state);
        } catch (error) {
          // No checkpoint names the upload: nobody could continue or discard it later.
          await this.abortUpload(state).catch(() => {});
          throw new AccessorOperationFailedError({ ...op, error, message: 'Could not save the checkpoint.' });
        }
      }
      const offset = kept.length * state.partSize;
      throwIfAborted(signal);

      const algorithms = requestedAlgorithms(options);
      const measure = new MeasuringStream({ algorithms, resume: { offset, hashes: resume.hashes } });
      measuring = measure;
      input.on('error', (error) => measure.destroy(error));
      input.pipe(measure);
      onAbort = () => {
        const error = new OperationAbortedError();
        input.destroy(error);
        measure.destroy(error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      const uploaded: CompletedPart[] = [];
      const finished = new Map<number, number>();
      let nextPart = kept.length + 1;
      let contiguousPart = nextPart;
      let durable = offset;
      let done = offset;
      let sent = 0;
      let failure: { error: unknown } | undefined;
      let saveFailed = false;

      const uploadPart = async (partNumber: number, body: Buffer) => {
        try {
          const result = await this.client.send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: state.uploadId,
              PartNumber: partNumber,
              Body: body,
              ContentLength: body.length,
              ...(state.checksumAlgorithm ? { ChecksumAlgorithm: state.checksumAlgorithm } : {}),
            }),
            abort,
          );
          if (!result.ETag) throw new Error(`UploadPart ${partNumber} returned no ETag.`);
          uploaded.push(completedPart({ ...result, PartNumber: partNumber }));
          done += body.length;
          options.onProgress?.(done);
          finished.set(partNumber, body.length);
          const before = durable;
          for (
            let bytes = finished.get(contiguousPart);
            bytes !== undefined;
            bytes = finished.get(contiguousPart)
          ) {
            finished.delete(contiguousPart++);
            durable += bytes;
          }
          if (durable > before) {
            // Saves run one at a time, in order: a later offset never lands before an earlier one.
            const snapshot: S3ResumeState = { ...state, offset: durable };
            // Progress is saved even after another part failed: those bytes are durable all the same.
            saving = saving.then(async () => {
              if (saveFailed) return;
              try {
                await resume.save(snapshot);
              } catch (error) {
                saveFailed = true;
                failure ??= {
                  error: new AccessorOperationFailedError({
                    ...op,
                    error,
                    message: 'Could not save the checkpoint.',
                  }),
                };
              }
            });
          }
        } catch (error) {
          failure ??= { error };
        }
      };
      const enqueue = async (body: Buffer) => {
        if (nextPart > S3_LIMITS.maxParts)
          throw new AccessorOperationFailedError({
            ...op,
            message: `The write needs more than ${S3_LIMITS.maxParts} parts of ${state.partSize} bytes: pass its size or a larger partSize.`,
          });
        while (inFlight.size >= this.queueSize && !failure) await Promise.race(inFlight);
        if (failure) throw failure.error;
        const task = uploadPart(nextPart++, body);
        sent += body.length;
        inFlight.add(task);
        void task.then(() => inFlight.delete(task));
      };

      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of measure) {
        let data = chunk as Buffer;
        while (data.length > 0) {
          const take = Math.min(state.partSize - pendingBytes, data.length);
          pending.push(take === data.length ? data : data.subarray(0, take));
          pendingBytes += take;
          data = data.subarray(take);
          if (pendingBytes === state.partSize) {
            const body = Buffer.concat(pending, pendingBytes);
            pending = [];
            pendingBytes = 0;
            await enqueue(body);
          }
        }
      }
      // The short last part; an empty file is one empty part.
      if (pendingBytes > 0 || nextPart === 1) await enqueue(Buffer.concat(pending, pendingBytes));
      await Promise.all(inFlight);
      await saving;
      if (failure) throw failure.error;
      throwIfAborted(signal);

      const measured = { size: measure.size, checksums: measure.digests() };
      assertIntegrity(resourceIdentifier, measured, options);
      const parts = [...kept, ...uploaded].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      // Every part from 1 once, and their bytes are the measured file.
      if (
        offset + sent !== measured.size ||
        parts.length !== nextPart - 1 ||
        parts.some((part, index) => part.PartNumber !== index + 1)
      )
        throw new AccessorOperationFailedError({
          ...op,
          message: `The multipart upload does not add up to ${measured.size} bytes.`,
        });
      try {
        await this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: state.uploadId,
            MultipartUpload: { Parts: parts },
            ...this.createOnly(overwrite),
          }),
          abort,
        );
      } catch (error) {
        if (!(await this.completedBehindRetry(error, key, measured.size, parts.length, op)))
          throw this.fail(error, op);
      }
      if (done < measured.size || measured.size === 0) options.onProgress?.(measured.size);
      return { size: measured.size, checksums: askedFor(measured.checksums, options.checksums) };
    } catch (error) {
      // Stop reading and let in-flight parts and saves settle (no checkpoint lands after
      // this write settled); the multipart upload stays for a resume.
      input.destroy();
      measuring?.destroy();
      await Promise.all(inFlight);
      await saving;
      throw this.fail(error, op);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Whether a CompleteMultipartUpload that failed with NoSuchUpload after an
   * SDK retry had in fact succeeded (its reply was lost, the retry found the
   * upload gone): the key then holds an object of this size and part count.
   */
  private async completedBehindRetry(
    error: unknown,
    key: string,
    size: number,
    partCount: number,
    op: ErrorContext,
  ): Promise<boolean> {
    const attempts = (error as { $metadata?: { attempts?: number } } | null)?.$metadata?.attempts ?? 1;
    if (!isNotFound(error) || attempts < 2 || op.signal?.aborted) return false;
    const head = await this.headIfExists(key, op).catch(() => undefined);
    return (
      head !== undefined &&
      Number(head.ContentLength ?? -1) === size &&
      (head.ETag ?? '').replace(/"/g, '').endsWith(`-${partCount}`)
    );
  }

  /**
   * Bytes of an interrupted resumable write that a resume keeps: parts 1..k,
   * each exactly the saved part size, as ListParts reports them now (never a
   * part the server did not acknowledge). Undefined when the state does not
   * name a multipart upload of this resource or the upload is gone.
   */
  async resumeOffset(
    resourceIdentifier: string,
    state: ResumeState,
    options: ResumeOffsetOptions,
  ): Promise<number | undefined> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    const op = { operation: 'resumeOffset', resourceIdentifier, signal: options.signal };
    if (segments.length === 0) return undefined;
    const parsed = this.resumeStateOf(this.key(resourceIdentifier), state);
    if (!parsed) return undefined;
    if (parsed.size !== undefined && parsed.size !== options.size) return undefined;
    if (parsed.partSize * S3_LIMITS.maxParts < options.size) return undefined;
    let parts: ReturnType<typeof leadingFullParts>;
    try {
      parts = leadingFullParts(await listAllParts(this.client, parsed, options.signal), parsed.partSize);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.fail(error, op);
    }
    const offset = parts.length * parsed.partSize;
    return offset <= options.size ? offset : undefined;
  }

  /** Abort the multipart upload a checkpoint names (nothing if it is not this resource's, or gone). */
  async discardResume(resourceIdentifier: string, state: ResumeState): Promise<void> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    if (segments.length === 0) return;
    const parsed = this.resumeStateOf(this.key(resourceIdentifier), state);
    if (!parsed) return;
    try {
      await this.abortUpload(parsed);
    } catch (error) {
      if (isNotFound(error)) return;
      throw this.fail(error, { operation: 'discardResume', resourceIdentifier });
    }
  }

  private async abortUpload(state: S3ResumeState): Promise<void> {
    await this.client.send(
      new AbortMultipartUploadCommand({ Bucket: state.bucket, Key: state.key, UploadId: state.uploadId }),
    );
  }

  /** `If-None-Match: *` for a write that must not replace an object, where the server honours it. */
  private createOnly(overwrite: boolean): { IfNoneMatch?: string } {
    return !overwrite && this.conditionalWrites === 'if-none-match' ? { IfNoneMatch: '*' } : {};
  }

  /**
   * The client for one write: every request but AbortMultipartUpload and
   * CreateMultipartUpload carries the write's AbortSignal, so an abort cuts
   * in-flight parts while lib-storage still learns the upload id and aborts
   * the multipart upload before `done()` settles.
   */
  private scopedClient(signal: AbortSignal | undefined): S3Client {
    if (!signal) return this.client;
    const client = this.client;
    const scoped = Object.create(client) as S3Client;
    const send = (command: unknown, options?: Record<string, unknown>) => {
      const keepGoing =
        command instanceof AbortMultipartUploadCommand || command instanceof CreateMultipartUploadCommand;
      // biome-ignore lint/suspicious/noExplicitAny: forwarding the SDK's overloaded send
      return (client.send as any).call(
        client,
        command,
        keepGoing ? options : { ...options, abortSignal: signal },
      );
    };
    Object.defineProperty(scoped, 'send', { value: send });
    return scoped;
  }

  /** The parent must exist (a marker or any key below it); with overwrite false in 'head' mode, the target must not. */
  private async checkTarget(
    segments: string[],
    key: string,
    overwrite: boolean,
    op: ErrorContext,
    alwaysHead = false,
  ): Promise<void> {
    const parent = segments.slice(0, -1).join('/');
    const [parentExists, existing] = await Promise.all([
      this.knownContainers.has(parent) || this.prefixHasKeys(segments.slice(0, -1), op),
      !overwrite && (alwaysHead || this.conditionalWrites === 'head')
        ? this.headIfExists(key, op)
        : undefined,
    ]);
    if (!parentExists) throw new AccessorParentResourceNotFoundError(op);
    this.knownContainers.remember(parent);
    if (existing) throw new AccessorResourceExistsError(op);
  }

  /** Containers this instance saw or made: writes into one folder list it once, not per file. */
  private readonly knownContainers = new ContainerCache();

  // ---------------------------------------------------------------- copy

  /**
   * Server-side copy: CopyObject up to 5 GiB, UploadPartCopy parts above
   * (no bytes through the client). `overwrite: false` uses If-None-Match.
   */
  async copy(source: string, target: string, options: CopyOptions = {}): Promise<WriteResult> {
    return this.copyFromAccessor(this, source, target, options);
  }

  /**
   * Server-side copy from another S3Accessor on the same service (same client,
   * or same endpoint, region and access key): another prefix or bucket. The
   * transfer engine calls this for S3 -> S3 between locations. Returns
   * undefined (the engine then streams) for other accessors, or when the
   * credentials may not read the source bucket.
   */
  async copyFrom(
    source: Accessor,
    sourceResourceIdentifier: string,
    target: string,
    options: CopyOptions = {},
  ): Promise<WriteResult | undefined> {
    if (!(source instanceof S3Accessor) || !this.sameService(source)) return undefined;
    try {
      return await this.copyFromAccessor(source, sourceResourceIdentifier, target, options);
    } catch (error) {
      if (error instanceof AccessorPermissionDeniedError && source.bucket !== this.bucket) return undefined;
      throw error;
    }
  }

  private sameService(other: S3Accessor): boolean {
    return (
      other.client === this.client || (this.serviceId !== undefined && other.serviceId === this.serviceId)
    );
  }

  private async copyFromAccessor(
    from: S3Accessor,
    source: string,
    target: string,
    options: CopyOptions,
  ): Promise<WriteResult> {
    const sourceSegments = splitResourceIdentifier(source);
    const targetSegments = splitResourceIdentifier(target);
    const signal = options.signal;
    const op = { operation: 'copy', resourceIdentifier: target, signal };
    const sourceOp = { operation: 'copy', resourceIdentifier: source, signal };
    if (targetSegments.length === 0 || sourceSegments.length === 0)
      throw new AccessorResourceInvalidError({ ...op, message: 'The root is a container.' });
    throwIfAborted(signal);
    const sourceKey = from.key(source);
    const targetKey = this.key(target);
    const overwrite = options.overwrite ?? true;
    const head = await from.headIfExists(sourceKey, sourceOp);
    if (!head) {
      if (await from.prefixHasKeys(sourceSegments, sourceOp))
        throw new AccessorResourceInvalidError(sourceOp);
      throw new AccessorResourceNotFoundError(sourceOp);
    }
    // If-None-Match on CopyObject is recent (AWS) and ignored by some servers (versitygw 1.8):
    // look first as well, so overwrite false holds everywhere (atomically where the header is honoured).
    await this.checkTarget(targetSegments, targetKey, overwrite, op, !overwrite);
    const size = Number(head.ContentLength ?? 0);
    const conditional = this.createOnly(overwrite);
    const abort = signal ? { abortSignal: signal } : {};
    if (size <= this.multipartCopyThreshold) {
      try {
        await this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: targetKey,
            CopySource: copySource(from.bucket, sourceKey),
            ...conditional,
          }),
          abort,
        );
      } catch (error) {
        throw this.fail(error, op);
      }
      return { size, checksums: {} };
    }
    await this.multipartCopy(from.bucket, sourceKey, targetKey, size, head.ETag, conditional, op);
    return { size, checksums: {} };
  }

  private async multipartCopy(
    sourceBucket: string,
    sourceKey: string,
    targetKey: string,
    size: number,
    etag: string | undefined,
    conditional: { IfNoneMatch?: string },
    op: ErrorContext,
  ): Promise<void> {
    const partSize = Math.max(this.copyPartSize, roundUpToMiB(Math.ceil(size / S3_LIMITS.maxParts)));
    const count = Math.ceil(size / partSize);
    let uploadId: string | undefined;
    try {
      uploadId = (
        await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: targetKey }))
      ).UploadId;
      if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId.');
      const parts: Array<{ PartNumber: number; ETag: string }> = [];
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const index = next++;
          throwIfAborted(op.signal);
          const first = index * partSize;
          const last = Math.min(size, first + partSize) - 1;
          const result = await this.client.send(
            new UploadPartCopyCommand({
              Bucket: this.bucket,
              Key: targetKey,
              UploadId: uploadId,
              PartNumber: index + 1,
              CopySource: copySource(sourceBucket, sourceKey),
              CopySourceRange: `bytes=${first}-${last}`,
              // The source must not change between parts.
              ...(etag ? { CopySourceIfMatch: etag } : {}),
            }),
            op.signal ? { abortSignal: op.signal } : {},
          );
          parts.push({ PartNumber: index + 1, ETag: result.CopyPartResult?.ETag ?? '' });
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.queueSize, count) }, worker));
      throwIfAborted(op.signal);
      parts.sort((a, b) => a.PartNumber - b.PartNumber);
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: targetKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          ...conditional,
        }),
      );
      uploadId = undefined;
    } catch (error) {
      throw this.fail(error, op);
    } finally {
      if (uploadId) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: targetKey, UploadId: uploadId }))
          .catch(() => {});
      }
    }
  }

  // ---------------------------------------------------------------- remove

  async remove(resourceIdentifier: string): Promise<void> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    const op = { operation: 'remove', resourceIdentifier };
    if (segments.length === 0)
      throw new AccessorResourceInvalidError({ ...op, message: 'The root is a container.' });
    const key = this.key(resourceIdentifier);
    // DeleteObject succeeds for missing keys: look first, to report what is not there.
    if (!(await this.headIfExists(key, op))) {
      if (await this.prefixHasKeys(segments, op)) throw new AccessorResourceInvalidError(op);
      throw new AccessorResourceNotFoundError(op);
    }
    // The parent may have existed only through this object.
    this.knownContainers.forget(segments.slice(0, -1).join('/'));
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw this.fail(error, op);
    }
  }

  // ---------------------------------------------------------------- containers

  /**
   * Write zero-byte `dir/` markers: for the container and, when recursive,
   * every ancestor, so removing a child container leaves its parent in place
   * (as on a filesystem). Without `recursive` the parent must exist.
   */
  async makeContainer(resourceIdentifier: string, recursive = true): Promise<void> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    const op = { operation: 'makeContainer', resourceIdentifier };
    if (segments.length === 0) return;
    if (!recursive && !(await this.prefixHasKeys(segments.slice(0, -1), op)))
      throw new AccessorParentResourceNotFoundError(op);
    const levels = recursive ? segments.map((_, i) => segments.slice(0, i + 1)) : [segments];
    try {
      await Promise.all(
        levels.map((level) =>
          this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: this.dirKey(level),
              Body: new Uint8Array(0),
              ContentType: 'application/x-directory',
            }),
          ),
        ),
      );
    } catch (error) {
      throw this.fail(error, op);
    }
    for (const level of levels) this.knownContainers.remember(level.join('/'));
  }

  /**
   * Delete a container's marker; with `recursive`, every key below it too, in
   * DeleteObjects batches of 1,000. The root stays (only its contents go).
   */
  async removeContainer(resourceIdentifier: string, options: { recursive?: boolean } = {}): Promise<void> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    const op = { operation: 'removeContainer', resourceIdentifier };
    const dir = this.dirKey(segments);
    this.knownContainers.forget(segments.join('/'));
    let first: ListObjectsV2CommandOutput;
    try {
      first = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: dir, MaxKeys: 2 }),
      );
    } catch (error) {
      throw this.fail(error, op);
    }
    const keys = (first.Contents ?? []).map((object) => object.Key ?? '');
    if (keys.length === 0) {
      if (segments.length === 0) return;
      if (await this.headIfExists(this.key(resourceIdentifier), op))
        throw new AccessorResourceInvalidError(op);
      throw new AccessorResourceNotFoundError(op);
    }
    const hasChildren = keys.some((key) => key !== dir);
    if (!options.recursive) {
      if (hasChildren) throw new AccessorContainerNotEmptyError(op);
      if (segments.length > 0) await this.deleteKeys([dir], op);
      return;
    }
    // Delete page by page, always listing from the start: safe on servers whose
    // continuation tokens do not survive deletes.
    let previous = '';
    for (;;) {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: dir, MaxKeys: 1000 }),
        );
      } catch (error) {
        throw this.fail(error, op);
      }
      const batch = (page.Contents ?? [])
        .map((object) => object.Key ?? '')
        .filter((key) => key !== '' && !(segments.length === 0 && key === dir));
      if (batch.length === 0) return;
      const signature = `${batch[0]}|${batch.length}|${batch.at(-1)}`;
      if (signature === previous)
        throw new AccessorOperationFailedError({ ...op, message: 'Keys remained after DeleteObjects.' });
      previous = signature;
      await this.deleteKeys(batch, op);
    }
  }

  private async deleteKeys(keys: string[], op: ErrorContext): Promise<void> {
    for (let i = 0; i < keys.length; i += S3_LIMITS.maxDeleteBatch) {
      const batch = keys.slice(i, i + S3_LIMITS.maxDeleteBatch);
      let errors: Array<{ Key?: string; Code?: string; Message?: string }> = [];
      try {
        const result = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        errors = result.Errors ?? [];
      } catch (error) {
        throw this.fail(error, op);
      }
      const failed = errors.filter((error) => error.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        throw new AccessorOperationFailedError({
          ...op,
          message: `DeleteObjects failed for ${failed.length} key(s): ${redact(
            failed
              .slice(0, 3)
              .map((error) => `${error.Key}: ${error.Code}`)
              .join(', '),
            this.secrets,
          )}`,
          details: { failed: failed.map((error) => ({ key: error.Key, code: error.Code })) },
        });
      }
    }
  }

  // ---------------------------------------------------------------- URLs

  /** A presigned GET URL (SigV4 query string; the secret key never appears in it). */
  override async getUrl(resourceIdentifier: string, options: GetUrlOptions = {}): Promise<string> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    if (segments.length === 0)
      throw new AccessorResourceInvalidError({
        operation: 'getUrl',
        resourceIdentifier,
        message: 'The root is a container.',
      });
    return this.presign(
      new GetObjectCommand({ Bucket: this.bucket, Key: this.key(resourceIdentifier) }),
      options.expiresIn,
      { operation: 'getUrl', resourceIdentifier },
    );
  }

  /** A presigned PUT URL for direct uploads (the server location hands these to clients). */
  async getPutUrl(resourceIdentifier: string, options: PresignedPutOptions = {}): Promise<string> {
    const segments = splitResourceIdentifier(resourceIdentifier);
    if (segments.length === 0)
      throw new AccessorResourceInvalidError({
        operation: 'getPutUrl',
        resourceIdentifier,
        message: 'The root is a container.',
      });
    return this.presign(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key(resourceIdentifier),
        ...(options.contentType ? { ContentType: options.contentType } : {}),
      }),
      options.expiresIn,
      { operation: 'getPutUrl', resourceIdentifier },
    );
  }

  private async presign(
    command: GetObjectCommand | PutObjectCommand,
    expiresIn: number | undefined,
    op: ErrorContext,
  ): Promise<string> {
    try {
      // biome-ignore lint/suspicious/noExplicitAny: the presigner pins a slightly older smithy Command type
      return await getSignedUrl(this.client as any, command as any, {
        expiresIn: expiresIn ?? this.urlExpiresIn,
      });
    } catch (error) {
      throw this.fail(error, op);
    }
  }

  override async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

/** 'a/b' -> 'a/b/', '' -> ''; validated like a resource identifier. */
function normalizePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  try {
    return `${splitResourceIdentifier(trimmed).join('/')}/`;
  } catch (error) {
    if (error instanceof AccessorResourceIdentifierError)
      throw new AccessorOperationFailedError({
        operation: 'configure',
        message: `Invalid S3 prefix: ${error.message}`,
      });
    throw error;
  }
}

/** A listing name that is a valid single segment (keys with '//' or '..' are not reachable). */
function isPlainName(name: string): boolean {
  if (name === '' || name.includes('/')) return false;
  try {
    return splitResourceIdentifier(name).length === 1;
  } catch {
    return false;
  }
}

/** The digests a write was asked for (`options.checksums`), out of those it computed. */
function askedFor(digests: Checksums, asked: readonly ChecksumAlgorithm[] | undefined): Checksums {
  const checksums: Checksums = {};
  for (const algorithm of asked ?? [])
    if (digests[algorithm] !== undefined) checksums[algorithm] = digests[algorithm];
  return checksums;
}

function byteLengthOf(source: WriteSource): number | undefined {
  if (typeof source === 'string') return Buffer.byteLength(source);
  if (source instanceof Uint8Array) return source.byteLength;
  return undefined;
}

/** What HeadObject or GetObject headers tell about an object. */
function objectStat(output: { ContentLength?: number; LastModified?: Date; ETag?: string }): ResourceStat {
  const stat: ResourceStat = { size: Number(output.ContentLength ?? 0), isContainer: false };
  if (output.LastModified) stat.modified = output.LastModified;
  if (output.ETag) stat.etag = output.ETag.replace(/"/g, '');
  return stat;
}
