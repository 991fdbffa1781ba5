import { AccessorOperationFailedError, OperationAbortedError } from '@stowage/core';
import type { Client } from 'basic-ftp';

export interface Lease {
  client: Client;
  /** The connection served an earlier request: it may have gone stale while idle. */
  reused: boolean;
}

interface Waiter {
  wake: () => void;
  fail: (error: unknown) => void;
}

/**
 * Up to `size` logged-in FTP connections. FTP allows one transfer per control
 * connection, so parallel reads and writes each lease their own. Closed
 * connections (server timeout, transfer aborted) are dropped on release and
 * replaced lazily. Idle sockets are unref'd so a forgotten accessor does not
 * keep the process alive.
 */
export class FtpClientPool {
  private readonly idle: Client[] = [];
  private readonly waiters: Waiter[] = [];
  private count = 0;
  private closed = false;

  constructor(
    private readonly connect: () => Promise<Client>,
    private readonly size: number,
  ) {}

  async acquire(signal?: AbortSignal): Promise<Lease> {
    for (;;) {
      if (signal?.aborted) throw new OperationAbortedError(undefined, { cause: signal.reason });
      if (this.closed)
        throw new AccessorOperationFailedError({
          operation: 'connect',
          message: 'The FTP accessor is closed.',
        });
      const client = this.idle.pop();
      if (client) {
        if (client.closed) {
          this.count--;
          continue;
        }
        client.ftp.socket.ref();
        return { client, reused: true };
      }
      if (this.count < this.size) {
        this.count++;
        try {
          return { client: await this.connect(), reused: false };
        } catch (error) {
          this.count--;
          this.wakeOne();
          throw error;
        }
      }
      await this.waitForRelease(signal);
    }
  }

  /** Return a connection; `discard` closes it (e.g. after an aborted transfer). */
  release(client: Client, discard = false): void {
    if (discard || client.closed || this.closed) {
      if (!client.closed) client.close();
      this.count--;
    } else {
      client.ftp.socket.unref();
      this.idle.push(client);
    }
    this.wakeOne();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const client of this.idle.splice(0)) {
      client.close();
      this.count--;
    }
    const error = new AccessorOperationFailedError({
      operation: 'connect',
      message: 'The FTP accessor was closed.',
    });
    for (const waiter of this.waiters.splice(0)) waiter.fail(error);
  }

  private wakeOne(): void {
    this.waiters.shift()?.wake();
  }

  private waitForRelease(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new OperationAbortedError(undefined, { cause: signal?.reason }));
      };
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
