import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AccessorOperationFailedError, isTransientError, readAll } from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../tools/fault-proxy.mjs';
import { FtpAccessor } from '../src/index.js';
import { connectionOptions, isolatedAccessor, serverEnv, TARGETS } from './servers.js';

/** A source of `chunks` x 64 KiB that pauses between chunks, so a cut lands mid-transfer. */
function slowSource(chunks: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent === chunks) return this.push(null);
      sent++;
      setTimeout(() => this.push(randomBytes(64 * 1024)), 2);
    },
  });
}

// The proxy carries the control connection only (passive data connections go
// straight to the server), which is where a dropped session shows up.
describe.each(TARGETS)('FtpAccessor when the connection drops ($label)', ({ server, secure }) => {
  let proxy: FaultProxy;
  let accessor: FtpAccessor;
  let directory: string;

  beforeAll(async () => {
    ({ directory } = await isolatedAccessor(server, secure));
    proxy = await startFaultProxy({ targetPort: serverEnv(server).port });
    accessor = new FtpAccessor({ ...connectionOptions(server, secure), port: proxy.port, prefix: directory });
  });
  afterAll(async () => {
    await accessor?.close();
    await proxy?.close();
  });

  it('fails a write with a transient error and leaves nothing behind', async () => {
    let dropped = false;
    const error = await accessor
      .write('dropped.bin', slowSource(200), {
        onProgress: (bytes) => {
          if (!dropped && bytes > 1024 * 1024) {
            dropped = true;
            proxy.dropAll();
          }
        },
      })
      .catch((caught: unknown) => caught);
    expect(dropped).toBe(true);
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect(isTransientError(error)).toBe(true);
    // The temp file was removed over a new connection before write() rejected.
    expect(await accessor.exists('dropped.bin')).toBe(false);
    expect(readdirSync(join(serverEnv(server).root, directory))).toEqual([]);
  });

  it('fails a read with a transient error, then works again', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    await accessor.write('read-drop.bin', data);
    const stream = await accessor.createReadStream('read-drop.bin');
    let received = 0;
    const consumed = (async () => {
      for await (const chunk of stream) {
        received += chunk.length;
        if (received > 512 * 1024 && received - chunk.length <= 512 * 1024) proxy.dropAll();
        // Slow consumer: the transfer is still running when the drop lands.
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    const error = await consumed.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AccessorOperationFailedError);
    expect(isTransientError(error)).toBe(true);
    expect(received).toBeLessThan(data.length);
    expect((await readAll(await accessor.createReadStream('read-drop.bin'))).equals(data)).toBe(true);
  });
});
