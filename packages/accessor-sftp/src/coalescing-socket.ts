import { Socket } from 'node:net';

/** Queued bytes past which a batch leaves at once: bulk data gains nothing from waiting. */
const FLUSH_BYTES = 32 * 1024;

/**
 * A TCP socket that gathers the small writes of one callback and of the
 * promise continuations it resolves into a single writev.
 *
 * ssh2 writes each SSH packet with its own `socket.write`, so the requests of
 * several files in flight on one connection cost one send(2) each. On
 * loopback every send runs the receiver's TCP path inline and wakes the
 * server while Node's only thread waits: in a profile of 4 KiB uploads, half
 * of the main thread's time was in `writeBuffer`. The batch leaves on
 * `process.nextTick`, that is as soon as the current callback and the
 * microtasks queued before the first write are done, not at the end of the
 * loop iteration (`setImmediate`): that held read requests and window
 * adjustments back while other connections' data was decrypted, and made
 * 1 GiB downloads 2-12 % slower (three alternated pairs).
 */
export class CoalescingSocket extends Socket {
  private flushScheduled = false;

  // biome-ignore lint/suspicious/noExplicitAny: net.Socket#connect's overloads are forwarded as they are.
  override connect(...args: any[]): this {
    (super.connect as (...forwarded: unknown[]) => this)(...args);
    // net.Socket#connect resets `write` to Socket.prototype.write (undoing a
    // writeAfterFIN left by an earlier end), which shadows any override: so
    // the batching write is installed on the instance, after it.
    this.write = this.coalescingWrite as Socket['write'];
    return this;
  }

  private readonly coalescingWrite = (...args: unknown[]): boolean => {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.cork();
      process.nextTick(this.flush);
    }
    const result = (Socket.prototype.write as (...forwarded: unknown[]) => boolean).apply(this, args);
    if (this.writableLength >= FLUSH_BYTES) {
      this.uncork();
      this.cork();
    }
    return result;
  };

  private readonly flush = () => {
    this.flushScheduled = false;
    this.uncork();
  };
}
