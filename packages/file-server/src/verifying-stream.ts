import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { HttpError } from './http-error.js';

export interface UploadExpectations {
  /** Largest body accepted (bytes). */
  maxBytes: number;
  /** Exact size the body must have. */
  size?: number | undefined;
  /** MD5s the body must have (hex): the signed one and the Content-MD5 header. */
  md5?: string[];
  /** SHA-256 the body must have (hex). */
  sha256?: string | undefined;
}

/**
 * Sits between the request and the storage: counts and hashes the body as it
 * streams, and fails *before the end* when the body is too big, has the wrong
 * size or the wrong digest. An atomic accessor therefore never publishes a
 * bad upload: its source errors instead of ending.
 */
export class VerifyingStream extends Transform {
  size = 0;
  /** The first check that failed, kept so the answer names it whatever the accessor wraps. */
  failure: HttpError | undefined;
  private readonly md5 = createHash('md5');
  private readonly sha256: Hash | undefined;
  private readonly expected: UploadExpectations;

  /**
   * Settles once the first chunk was checked (or the body ended or failed).
   * The put route waits for it before opening the target, so a body refused
   * on its first bytes never makes the storage create anything.
   */
  readonly started: Promise<void>;
  private markStarted!: () => void;

  constructor(expected: UploadExpectations) {
    super();
    this.started = new Promise((resolve) => {
      this.markStarted = resolve;
    });
    this.once('error', () => this.markStarted());
    this.once('close', () => this.markStarted());
    this.expected = expected;
    this.sha256 = expected.sha256 ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.expected.maxBytes) {
      callback(this.fail(413, 'TooLarge', `The body exceeds the limit of ${this.expected.maxBytes} bytes.`));
      return;
    }
    if (this.expected.size !== undefined && this.size > this.expected.size) {
      callback(
        this.fail(400, 'SizeMismatch', `The body is longer than the announced ${this.expected.size} bytes.`),
      );
      return;
    }
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    callback(null, chunk);
    this.markStarted();
  }

  override _flush(callback: TransformCallback): void {
    this.markStarted();
    if (this.expected.size !== undefined && this.size !== this.expected.size) {
      callback(
        this.fail(
          400,
          'SizeMismatch',
          `The body has ${this.size} bytes, not the announced ${this.expected.size}.`,
        ),
      );
      return;
    }
    this.md5Hex = this.md5.digest('hex');
    if (this.expected.md5?.some((md5) => md5 !== this.md5Hex)) {
      callback(this.fail(400, 'BadDigest', 'The body does not match its MD5.'));
      return;
    }
    if (this.sha256) {
      this.sha256Hex = this.sha256.digest('hex');
      if (this.sha256Hex !== this.expected.sha256) {
        callback(this.fail(400, 'BadDigest', 'The body does not match its SHA-256.'));
        return;
      }
    }
    callback();
  }

  /** Hex digests, set once the body has ended and passed. */
  md5Hex: string | undefined;
  sha256Hex: string | undefined;

  private fail(status: number, code: string, message: string): HttpError {
    this.markStarted();
    this.failure ??= new HttpError(status, code, message);
    return this.failure;
  }
}
