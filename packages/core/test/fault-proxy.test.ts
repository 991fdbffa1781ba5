import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../../../tools/fault-proxy.mjs';

/** An echo server: the proxy's faults show in what comes back. */
let echo: Server;
let echoPort = 0;
beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => {}); // the reset case resets this side too
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

function roundTrip(port: number, payload: Buffer): Promise<{ data: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).length >= payload.length) socket.end();
    });
    socket.on('error', (e) => {
      error = (e as NodeJS.ErrnoException).code ?? e.message;
    });
    socket.on('close', () => resolve({ data: Buffer.concat(chunks), ...(error ? { error } : {}) }));
    socket.write(payload);
  });
}

describe('tools/fault-proxy', () => {
  it('passes bytes through untouched without a fault', async () => {
    const proxy = await startFaultProxy({ targetPort: echoPort });
    const payload = Buffer.alloc(200_000, 3);
    const { data } = await roundTrip(proxy.port, payload);
    expect(data.equals(payload)).toBe(true);
    await proxy.close();
  });

  it('cuts a connection after N bytes', async () => {
    const proxy = await startFaultProxy({ targetPort: echoPort });
    proxy.setFault({ mode: 'cut', afterBytes: 50_000, direction: 'up', connections: 1 });
    const { data } = await roundTrip(proxy.port, Buffer.alloc(200_000, 1));
    expect(data.length).toBeLessThanOrEqual(50_000);
    expect(proxy.stats.faulted).toBe(1);
    // Only the first connection was faulted.
    const second = await roundTrip(proxy.port, Buffer.alloc(1000, 2));
    expect(second.data.length).toBe(1000);
    await proxy.close();
  });

  it('flips a byte in flight', async () => {
    const proxy = await startFaultProxy({ targetPort: echoPort });
    proxy.setFault({ mode: 'corrupt', afterBytes: 10, direction: 'down' });
    const payload = Buffer.alloc(100, 0);
    const { data } = await roundTrip(proxy.port, payload);
    expect(data.length).toBe(100);
    expect(data.equals(payload)).toBe(false);
    expect(data.filter((byte) => byte !== 0)).toHaveLength(1);
    await proxy.close();
  });

  it('resets a connection', async () => {
    const proxy = await startFaultProxy({ targetPort: echoPort });
    proxy.setFault({ mode: 'reset', afterBytes: 0 });
    const { data, error } = await roundTrip(proxy.port, Buffer.alloc(10_000, 1));
    expect(data.length).toBeLessThan(10_000);
    expect(error ?? 'closed').toMatch(/ECONNRESET|closed|EPIPE/);
    await proxy.close();
  });
});
