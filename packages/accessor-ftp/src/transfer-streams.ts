import { type PassThrough, Transform, type TransformCallback, Writable } from 'node:stream';

/**
 * How long an empty upload over TLS waits, once the data connection is up,
 * before it closes it. Closing a TLS data connection straight after its
 * handshake, with no data, made both proFTPD and vsftpd fail the transfer
 * (decode-error alert / a plain-text OOPS on the control channel) about half
 * the time; 10 ms was always enough, 0 was not.
 */
export const EMPTY_TLS_UPLOAD_DELAY_MS = 25;

/**
 * A pass-through for the upload source that, when nothing passed through it,
 * holds back its end until it has been flowing for `delayMs`.
 */
export function emptyUploadGate(delayMs: number): Transform {
  let bytes = 0;
  let flowing = false;
  const gate = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (bytes > 0) return callback();
      const release = () => setTimeout(callback, delayMs);
      if (flowing) release();
      else gate.once('resume', release);
    },
  });
  gate.once('resume', () => {
    flowing = true;
  });
  return gate;
}

export interface RangeSinkOptions {
  /** Bytes to forward; the rest of the transfer is not wanted. */
  length: number;
  /** Called once `length` bytes were forwarded and `output` ended. */
  onComplete: () => void;
}

/**
 * The Writable basic-ftp downloads into. It forwards at most `length` bytes to
 * `output` with backpressure, and never ends `output` itself: basic-ftp ends
 * its destination even when the transfer failed, and a failed read must end in
 * an error, not a short clean EOF. The accessor ends or destroys `output`.
 */
export function rangeSink(
  output: PassThrough,
  options: RangeSinkOptions,
): Writable & { delivered(): number } {
  let delivered = 0;
  let complete = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void) {
      if (complete || output.destroyed) return callback();
      const remaining = options.length - delivered;
      const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
      delivered += part.length;
      const flowing = output.write(part);
      if (delivered >= options.length) {
        complete = true;
        output.end();
        options.onComplete();
        return callback();
      }
      if (flowing) return callback();
      const onDrain = () => {
        output.off('close', onDrain);
        output.off('drain', onDrain);
        callback();
      };
      output.once('drain', onDrain);
      output.once('close', onDrain);
    },
    final(callback) {
      callback();
    },
  });
  return Object.assign(sink, { delivered: () => delivered });
}
