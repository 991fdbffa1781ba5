import { Socket } from 'node:net';

/**
 * A TCP socket that gathers every write made in one turn of the event loop
 * into a single writev, sent before the loop next waits for I/O.
 *
 * ssh2 writes each SSH packet with its own `socket.write`, so the requests of
 * several files in flight on one connection cost one send(2) each. On
 * loopback every send runs the receiver's TCP path inline and wakes the
 * server while Node's only thread waits in the kernel: in a profile of 4 KiB
 * uploads, half of the main thread's time was in `writeBuffer`. Holding the
 * writes until `setImmediate` adds no round trip: the batch leaves in the
 * same loop iteration, after the callbacks that produced it.
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
      setImmediate(() => {
        this.flushScheduled = false;
        this.uncork();
      });
    }
    return (Socket.prototype.write as (...forwarded: unknown[]) => boolean).apply(this, args);
  };
}
