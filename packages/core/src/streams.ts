import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ChecksumAlgorithm } from './capabilities.js';
import { AccessorIntegrityError } from './errors.js';

/** Bytes for a write: a stream, an async iterable of chunks, or one buffer. */
export type WriteSource = Readable | AsyncIterable<Uint8Array> | Uint8Array | string;

export type Checksums = Partial<Record<ChecksumAlgorithm, string>>;

export interface ExpectedChecksum {
  algorithm: ChecksumAlgorithm;
  /** Lower-case hex digest. */
  value: string;
}

/** What a write must hash: the checksums asked for and the expected one's algorithm, each once. */
export function requestedAlgorithms(options: {
  checksums?: readonly ChecksumAlgorithm[] | undefined;
  checksum?: ExpectedChecksum | undefined;
}): ChecksumAlgorithm[] {
  return [
    ...new Set([...(options.checksums ?? []), ...(options.checksum ? [options.checksum.algorithm] : [])]),
  ];
}

/** Default chunk size of the transfer engine: 1 MiB, or STOWAGE_CHUNK_SIZE. */
export function defaultChunkSize(): number {
  const fromEnv = Number(process.env.STOWAGE_CHUNK_SIZE);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? Math.floor(fromEnv) : 1024 * 1024;
}

/** The bytes of a source held in memory, as a Buffer (a view, not a copy, of a Uint8Array). */
export function bytesOf(source: string | Uint8Array): Buffer {
  if (typeof source === 'string') return Buffer.from(source);
  return Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
}

/** A Readable from any write source (no copy for streams). */
export function toReadable(source: WriteSource): Readable {
  if (source instanceof Readable) return source;
  if (typeof source === 'string' || source instanceof Uint8Array)
    return Readable.from([bytesOf(source)], { objectMode: false });
  return Readable.from(source, { objectMode: false });
}

const NODE_HASH: Partial<Record<ChecksumAlgorithm, string>> = { md5: 'md5', sha1: 'sha1', sha256: 'sha256' };

export function isHashSupported(algorithm: ChecksumAlgorithm): boolean {
  return NODE_HASH[algorithm] !== undefined;
}

/** Running hashes of bytes already written, continued by a resumed write. */
export type PrefixHashes = Partial<Record<ChecksumAlgorithm, Hash>>;

/** Hashes for `algorithms`, to be fed with a resumed write's first bytes. */
export function createPrefixHashes(algorithms: ChecksumAlgorithm[]): PrefixHashes {
  const hashes: PrefixHashes = {};
  for (const algorithm of algorithms)
    if (isHashSupported(algorithm)) hashes[algorithm] = createHash(NODE_HASH[algorithm]!);
  return hashes;
}

export interface MeasureOptions {
  algorithms?: ChecksumAlgorithm[];
  onProgress?: (bytes: number) => void;
  /** A resumed write: count from `offset` and continue `hashes` (missing ones are not reported). */
  resume?: { offset: number; hashes?: PrefixHashes | undefined } | undefined;
}

/**
 * A pass-through that counts bytes and hashes them as they flow, so integrity
 * checks cost no extra read. Read `size` and `digests()` after the stream ends.
 */
export class MeasuringStream extends Transform {
  size = 0;
  private readonly hashes: Array<[ChecksumAlgorithm, Hash]>;
  private readonly onProgress: ((bytes: number) => void) | undefined;

  constructor(options: MeasureOptions = {}) {
    super();
    const resume = options.resume;
    this.size = resume?.offset ?? 0;
    const hashes: Array<[ChecksumAlgorithm, Hash]> = [];
    for (const algorithm of options.algorithms ?? []) {
      if (!isHashSupported(algorithm)) continue;
      // A resumed write can only continue hashes that saw the bytes before its offset.
      const hash =
        resume && resume.offset > 0 ? resume.hashes?.[algorithm] : createHash(NODE_HASH[algorithm]!);
      if (hash) hashes.push([algorithm, hash]);
    }
    this.hashes = hashes;
    this.onProgress = options.onProgress;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    for (const [, hash] of this.hashes) hash.update(chunk);
    this.onProgress?.(this.size);
    callback(null, chunk);
  }

  private cached: Checksums | undefined;
  /** Hex digests; call once the stream has ended. */
  digests(): Checksums {
    if (!this.cached) {
      this.cached = {};
      for (const [algorithm, hash] of this.hashes) this.cached[algorithm] = hash.digest('hex');
    }
    return this.cached;
  }
}

/** Hex digests of bytes in hand: what a MeasuringStream reports for a stream of them. */
export function digestsOf(bytes: Uint8Array, algorithms: ChecksumAlgorithm[]): Checksums {
  const checksums: Checksums = {};
  for (const algorithm of algorithms)
    if (isHashSupported(algorithm))
      checksums[algorithm] = createHash(NODE_HASH[algorithm]!).update(bytes).digest('hex');
  return checksums;
}

/** Throw AccessorIntegrityError when the measured bytes differ from what was expected. */
export function assertIntegrity(
  resourceIdentifier: string,
  measured: { size: number; checksums: Checksums },
  expected: { size?: number | undefined; checksum?: ExpectedChecksum | undefined },
): void {
  if (expected.size !== undefined && expected.size !== measured.size) {
    throw new AccessorIntegrityError({
      operation: 'write',
      resourceIdentifier,
      message: `Size mismatch for ${JSON.stringify(resourceIdentifier)}: expected ${expected.size} bytes, got ${measured.size}.`,
      details: { expectedSize: expected.size, actualSize: measured.size },
    });
  }
  if (expected.checksum) {
    const actual = measured.checksums[expected.checksum.algorithm];
    if (actual !== undefined && actual !== expected.checksum.value.toLowerCase()) {
      throw new AccessorIntegrityError({
        operation: 'write',
        resourceIdentifier,
        message: `${expected.checksum.algorithm} mismatch for ${JSON.stringify(resourceIdentifier)}.`,
        details: { algorithm: expected.checksum.algorithm, expected: expected.checksum.value, actual },
      });
    }
  }
}

/** Drain a stream into a Buffer. For tests and small metadata only, never for component data. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
