import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from 'node:net';
import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AccessorOperationFailedError, OperationAbortedError } from '@stowage/core';
import { afterAll, describe, expect, it } from 'vitest';
import { S3Accessor, UndiciHttpHandler } from '../src/index.js';
import { isolatedAccessor, serverEnv } from './helpers.js';

const servers: Array<Server | TcpServer> = [];
const sockets = new Set<Socket>();
afterAll(async () => {
  // Servers that never answer keep their connections open: close those first.
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function listen<T extends Server | TcpServer>(server: T): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const get = (port: number, path = '/b/k', headers: Record<string, string> = {}) => ({
  protocol: 'http:',
  hostname: '127.0.0.1',
  port,
  method: 'GET',
  path,
  query: {},
  headers: { host: `127.0.0.1:${port}`, ...headers },
});

const text = async (body: Readable) => {
  let out = '';
  for await (const chunk of body) out += chunk;
  return out;
};

describe('UndiciHttpHandler', () => {
  it('sends method, path, query and headers; returns status, headers and a streamed body', async () => {
    let seen: IncomingMessage | undefined;
    let received = '';
    const port = await listen(
      createHttpServer((request, response) => {
        seen = request;
        request.on('data', (chunk) => {
          received += chunk;
        });
        request.on('end', () => {
          response.setHeader('x-amz-meta-a', 'one');
          response.setHeader('set-cookie', ['a=1', 'b=2']);
          response.end('hello');
        });
      }),
    );
    const handler = new UndiciHttpHandler();
    try {
      const { response } = await handler.handle({
        ...get(port, '/bucket/a%20b.exr'),
        method: 'PUT',
        query: { partNumber: '2', uploadId: 'x/y' },
        headers: {
          host: `127.0.0.1:${port}`,
          expect: '100-continue',
          'content-length': '3',
          'x-amz-thing': 'v',
        },
        body: Readable.from([Buffer.from('abc')]),
      } as never);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-amz-meta-a']).toBe('one');
      expect(response.headers['set-cookie']).toBe('a=1, b=2');
      expect(await text(response.body as Readable)).toBe('hello');
      expect(seen?.method).toBe('PUT');
      expect(seen?.url).toBe('/bucket/a%20b.exr?partNumber=2&uploadId=x%2Fy');
      expect(seen?.headers['x-amz-thing']).toBe('v');
      // undici does not do 100-continue: the header is not sent.
      expect(seen?.headers.expect).toBeUndefined();
      expect(received).toBe('abc');
    } finally {
      handler.destroy();
    }
  });

  it('a connection the server drops: an ECONNRESET error the SDK retries', async () => {
    const port = await listen(createTcpServer((socket) => socket.destroy()));
    const handler = new UndiciHttpHandler();
    try {
      await expect(handler.handle(get(port) as never)).rejects.toMatchObject({ code: 'ECONNRESET' });
    } finally {
      handler.destroy();
    }
  });

  it('a server that never answers: a TimeoutError after the timeout', async () => {
    const port = await listen(createTcpServer(() => {}));
    const handler = new UndiciHttpHandler({ timeout: 200 });
    try {
      await expect(handler.handle(get(port) as never)).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      handler.destroy();
    }
  });

  it('an abort: an AbortError carrying the reason, before and during the request', async () => {
    const port = await listen(createTcpServer(() => {}));
    const handler = new UndiciHttpHandler();
    try {
      const early = new AbortController();
      early.abort(new Error('stop'));
      await expect(handler.handle(get(port) as never, { abortSignal: early.signal })).rejects.toMatchObject({
        name: 'AbortError',
        cause: { message: 'stop' },
      });
      const late = new AbortController();
      const pending = handler.handle(get(port) as never, { abortSignal: late.signal });
      setTimeout(() => late.abort(), 50);
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      handler.destroy();
    }
  });
});

describe('S3Accessor httpClient', () => {
  it("'undici' by default, 'node' on request: both write, read and remove on the real server", async () => {
    for (const httpClient of [undefined, 'node'] as const) {
      const { accessor } = isolatedAccessor(httpClient ? { httpClient } : {});
      try {
        const handler = (accessor.client.config as { requestHandler?: unknown }).requestHandler;
        expect(handler instanceof UndiciHttpHandler).toBe(httpClient === undefined);
        const data = Buffer.from(`bytes through ${httpClient ?? 'undici'}`);
        await accessor.write('b.bin', data, { overwrite: false });
        expect(await text(await accessor.createReadStream('b.bin'))).toBe(data.toString());
        expect((await accessor.stat('b.bin')).size).toBe(data.length);
        await accessor.remove('b.bin');
        expect(await accessor.exists('b.bin')).toBe(false);
      } finally {
        await accessor.close();
      }
    }
  });

  it('a refused connection is a transient failure, named as such', async () => {
    const port = await listen(createTcpServer());
    const closed = servers.pop()!;
    await new Promise((resolve) => closed.close(resolve));
    const env = serverEnv();
    const accessor = new S3Accessor({
      bucket: env.bucket,
      clientConfig: {
        endpoint: `http://127.0.0.1:${port}`,
        region: env.region,
        credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
        maxAttempts: 1,
      },
    });
    try {
      const error = await accessor.stat('a.bin').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AccessorOperationFailedError);
      expect((error as AccessorOperationFailedError).transient).toBe(true);
    } finally {
      await accessor.close();
    }
  });

  it('an abort during a GET is an OperationAbortedError', async () => {
    const port = await listen(createTcpServer(() => {}));
    const env = serverEnv();
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: env.region,
      forcePathStyle: true,
      credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
      requestHandler: new UndiciHttpHandler(),
    });
    const accessor = new S3Accessor({ bucket: env.bucket, client });
    const controller = new AbortController();
    try {
      const pending = accessor.createReadStream('a.bin', { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await expect(pending).rejects.toBeInstanceOf(OperationAbortedError);
      await expect(
        client.send(new GetObjectCommand({ Bucket: env.bucket, Key: 'k' }), {
          abortSignal: AbortSignal.abort(),
        }),
      ).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      client.destroy();
    }
  });
});
