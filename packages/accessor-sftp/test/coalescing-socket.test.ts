import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CoalescingSocket } from '../src/coalescing-socket.js';

/** A loopback server that collects what each connection receives. */
async function sink(): Promise<{ server: Server; port: number; received: () => Promise<Buffer> }> {
  const chunks: Buffer[] = [];
  let ended: Promise<unknown> = Promise.resolve();
  const server = createServer((socket: Socket) => {
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    ended = once(socket, 'end');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    server,
    port: address.port,
    received: async () => {
      await ended;
      return Buffer.concat(chunks);
    },
  };
}

/** Count the syscall-level writes a socket makes (one `_write` or one `_writev` each). */
function countSends(socket: Socket) {
  const counts = { single: 0, gathered: 0, gatheredChunks: 0 };
  const write = socket._write.bind(socket);
  const writev = socket._writev!.bind(socket);
  socket._write = (chunk, encoding, callback) => {
    counts.single++;
    write(chunk, encoding, callback);
  };
  socket._writev = (chunks, callback) => {
    counts.gathered++;
    counts.gatheredChunks += chunks.length;
    writev(chunks, callback);
  };
  return counts;
}

/** A CoalescingSocket connected to a fresh sink, with its sends counted from now on. */
async function connectedSocket() {
  const target = await sink();
  const socket = new CoalescingSocket();
  socket.connect({ host: '127.0.0.1', port: target.port });
  await once(socket, 'connect');
  return { target, socket, sends: countSends(socket) };
}

describe('CoalescingSocket', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.close();
  });

  it('sends the writes of one callback and its microtasks as one writev, in order', async () => {
    const { target, socket, sends } = await connectedSocket();
    server = target.server;
    // Writes in one callback (this async function's continuation) and a microtask it queues.
    socket.write(Buffer.from('one,'));
    socket.write(Buffer.from('two,'));
    await Promise.resolve();
    socket.write(Buffer.from('three;'));
    await new Promise((resolve) => setImmediate(resolve));
    // A later turn: a batch of its own.
    socket.write(Buffer.from('four'));
    await new Promise((resolve) => setImmediate(resolve));
    socket.end();
    expect((await target.received()).toString()).toBe('one,two,three;four');
    expect(sends).toEqual({ single: 1, gathered: 1, gatheredChunks: 3 });
  });

  it('sends at once when a packet of bulk data is queued', async () => {
    const { target, socket, sends } = await connectedSocket();
    server = target.server;
    socket.write(Buffer.from('request;'));
    expect(sends).toEqual({ single: 0, gathered: 0, gatheredChunks: 0 });
    // 32 KiB queued: the batch leaves within this call, not after the callback.
    socket.write(Buffer.alloc(32 * 1024, 1));
    expect(sends).toEqual({ single: 0, gathered: 1, gatheredChunks: 2 });
    socket.write(Buffer.from(';after'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sends).toEqual({ single: 1, gathered: 1, gatheredChunks: 2 });
    socket.end();
    expect((await target.received()).length).toBe('request;'.length + 32 * 1024 + ';after'.length);
  });

  it('keeps batching after net.Socket#connect, which resets an overridden write', async () => {
    const target = await sink();
    server = target.server;
    const socket = new CoalescingSocket();
    socket.connect({ host: '127.0.0.1', port: target.port });
    // Written while connecting: held, then sent in one go once connected.
    socket.write('a');
    socket.write('b');
    await once(socket, 'connect');
    expect(Object.hasOwn(socket, 'write')).toBe(true);
    expect(socket.write).not.toBe(Socket.prototype.write);
    socket.end();
    expect((await target.received()).toString()).toBe('ab');
  });
});
