import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline, Readable } from 'node:stream';
import {
  AccessorIntegrityError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  BaseAccessor,
  type ChecksumAlgorithm,
  type Checksums,
  defineCapabilities,
  type GetUrlOptions,
  type ListEntry,
  MeasuringStream,
  markAppearedDuringWrite,
  type ReadStreamOptions,
  type ResourceStat,
  type RetryOptions,
  StowageError,
  toReadable,
  type WriteOptions,
  type WriteResult,
  type WriteSource,
  withRetry,
} from '@stowage/core';
import { errorFromNetwork, errorFromResponse, type ServerErrorBody } from './errors.js';

export interface ServerAccessorOptions {
  /** Root URL of the file server, e.g. `https://files.example.com` (a path prefix is kept). */
  url: string;
  /** API user; default `STOWAGE_SERVER_USER`. Sent in a header, never in a URL. */
  user?: string;
  /** API key; default `STOWAGE_SERVER_API_KEY`. Sent in a header, never in a URL. */
  apiKey?: string;
  /** Attempts after the first for transient failures (network, 408, 429, 5xx). Default 3. */
  retries?: number;
  /** First backoff delay in ms (doubles, full jitter). Default 200. */
  retryBaseDelayMs?: number;
  /** Timeout in ms for requests without a body to stream (API calls, HEAD). Default 30 s. */
  requestTimeoutMs?: number;
  /** Lifetime of the URLs `getUrl` hands out, in seconds (default: the server's, 24 h). */
  urlExpiresIn?: number;
}

type Env = Record<string, string | undefined>;

/** Options from STOWAGE_SERVER_URL, STOWAGE_SERVER_USER and STOWAGE_SERVER_API_KEY. */
export function serverAccessorOptionsFromEnv(env: Env = process.env): ServerAccessorOptions {
  const url = env.STOWAGE_SERVER_URL;
  if (!url) throw new TypeError('Set STOWAGE_SERVER_URL to the file server root URL.');
  return {
    url,
    ...(env.STOWAGE_SERVER_USER ? { user: env.STOWAGE_SERVER_USER } : {}),
    ...(env.STOWAGE_SERVER_API_KEY ? { apiKey: env.STOWAGE_SERVER_API_KEY } : {}),
  };
}

interface SignedUrl {
  url: string;
}

interface UploadMetadata {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  completeUrl?: string;
}

/** MD5 and SHA-256 the server verifies itself; other algorithms are checked here. */
const SERVER_VERIFIED: ReadonlySet<ChecksumAlgorithm> = new Set(['md5', 'sha256']);

/**
 * The server location's accessor: talks to `@stowage/file-server`.
 * Resource identifiers are component ids (as ftrack's server location), or
 * relative paths of names when a structure groups them.
 *
 * - write: `POST /api/upload-metadata` (API key and user in headers) then a
 *   streamed `PUT` to the signed URL (never buffered whole), with the size
 *   and MD5/SHA-256 signed into it when the caller knows them so the server
 *   refuses a bad body before publishing it; then the completion URL when the
 *   server hands one out (direct-to-storage uploads).
 * - read: a signed `GET /get` with `Range`; stat/exists: a signed `HEAD`.
 * - remove: a signed `DELETE /remove`.
 * - list / removeContainer: the authenticated API. Containers are implicit:
 *   they exist while they hold files.
 * - getUrl: a signed, expiring download URL without the API key.
 *
 * Transient failures (network errors, 408, 429, 5xx) are retried with
 * exponential backoff and jitter; an upload from a stream is retried only
 * while none of its bytes were read.
 */
export class ServerAccessor extends BaseAccessor {
  readonly name = 'server';
  readonly capabilities = defineCapabilities({
    read: true,
    write: true,
    list: true,
    stat: true,
    rangeRead: true,
    parallelRangeRead: true,
    containers: 'implicit',
    emptyContainers: false,
    removeContainer: true,
    url: 'signed',
    presignRead: true,
    atomicWrite: true,
    conditionalCreate: true,
    sequence: true,
    pathConfinement: true,
    maxNameLength: 255,
  });

  readonly baseUrl: URL;
  private readonly user: string | undefined;
  private readonly apiKey: string | undefined;
  private readonly retry: RetryOptions;
  private readonly requestTimeoutMs: number;
  private readonly urlExpiresIn: number | undefined;

  constructor(options: ServerAccessorOptions) {
    super();
    if (!options || typeof options.url !== 'string')
      throw new TypeError('ServerAccessor needs the server `url`.');
    const base = new URL(options.url);
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new TypeError('ServerAccessor url must be http: or https:.');
    if (base.username || base.password || base.search)
      throw new TypeError('ServerAccessor url must not carry credentials or a query: use user and apiKey.');
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.baseUrl = base;
    this.user = options.user ?? process.env.STOWAGE_SERVER_USER;
    this.apiKey = options.apiKey ?? process.env.STOWAGE_SERVER_API_KEY;
    this.retry = { retries: options.retries ?? 3, baseDelayMs: options.retryBaseDelayMs ?? 200 };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.urlExpiresIn = options.urlExpiresIn;
  }

  // ---------------------------------------------------------------- plumbing

  private signalFor(signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }

  /**
   * One request with a small body or none (API calls, completion, DELETE),
   * its failures as Stowage errors (transient ones marked). node:http rather
   * than fetch: undici's fetch cost about three times as much CPU per call
   * (web streams, body clones), and these run twice per file.
   */
  private async send(
    operation: string,
    resourceIdentifier: string,
    url: string | URL,
    init: { method: string; headers?: Record<string, string>; body?: string },
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const { status, text } = await sendRequest(url, init, { signal, resourceIdentifier, operation });
    if (status >= 200 && status < 300) return text;
    throw errorFromResponse(status, parseErrorBody(text), operation, resourceIdentifier);
  }

  /** An authenticated JSON call to /api/<path>, retried on transient failures. */
  private async api<T>(
    path: string,
    body: unknown,
    operation: string,
    resourceIdentifier: string,
    signal?: AbortSignal,
  ): Promise<T> {
    return withRetry(
      async () => {
        const text = await this.send(
          operation,
          resourceIdentifier,
          new URL(`api/${path}`, this.baseUrl),
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...this.authHeaders() },
            body: JSON.stringify(body),
          },
          this.signalFor(signal),
        );
        return JSON.parse(text) as T;
      },
      { ...this.retry, ...(signal ? { signal } : {}) },
    );
  }

  private authHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.user !== undefined) headers['x-stowage-api-user'] = this.user;
    if (this.apiKey !== undefined) headers['x-stowage-api-key'] = this.apiKey;
    return headers;
  }

  private sign(
    action: 'get' | 'head' | 'remove',
    resourceIdentifier: string,
    signal?: AbortSignal,
    expiresIn?: number,
  ): Promise<SignedUrl> {
    return this.api<SignedUrl>(
      'sign',
      { action, componentId: resourceIdentifier, ...(expiresIn !== undefined ? { expiresIn } : {}) },
      action === 'head' ? 'stat' : action === 'get' ? 'read' : 'remove',
      resourceIdentifier,
      signal,
    );
  }

  /** Validated identifier of a file (the root is none). */
  private fileIdentifier(resourceIdentifier: string, operation: string): string {
    const segments = this.segments(resourceIdentifier);
    if (segments.length === 0) throw new AccessorResourceInvalidError({ operation, resourceIdentifier });
    return segments.join('/');
  }

  // ---------------------------------------------------------------- reading

  async stat(resourceIdentifier: string): Promise<ResourceStat> {
    const segments = this.segments(resourceIdentifier);
    if (segments.length === 0) return { size: 0, isContainer: true };
    const id = segments.join('/');
    try {
      return await withRetry(async () => {
        const { url } = await this.sign('head', id);
        // node:http, not fetch: undici closes the connection after every HEAD
        // (and says so to the server), so each stat paid a new TCP connection.
        const response = await httpResponse(url, {
          method: 'HEAD',
          headers: {},
          signal: this.signalFor(),
          resourceIdentifier: id,
          operation: 'stat',
          accept: [200],
        });
        response.resume();
        const header = (name: string): string | undefined => {
          const value = response.headers[name];
          return typeof value === 'string' ? value : undefined;
        };
        const size = Number(header('content-length') ?? 0);
        const modified = header('last-modified');
        const etag = header('etag');
        const contentMd5 = header('content-md5');
        const checksums: Checksums = {};
        if (contentMd5) checksums.md5 = Buffer.from(contentMd5, 'base64').toString('hex');
        return {
          size,
          isContainer: false,
          ...(modified ? { modified: new Date(modified) } : {}),
          ...(etag ? { etag } : {}),
          ...(contentMd5 ? { checksums } : {}),
        };
      }, this.retry);
    } catch (error) {
      if (!(error instanceof AccessorResourceNotFoundError)) throw error;
      // Not a file: a container exists while it holds something.
      const entries = await this.listStats(id).catch(() => []);
      if (entries.length > 0) return { size: 0, isContainer: true };
      throw error;
    }
  }

  async list(resourceIdentifier: string): Promise<string[]> {
    return (await this.listStats(resourceIdentifier)).map((entry) => entry.resourceIdentifier);
  }

  async listStats(resourceIdentifier: string): Promise<ListEntry[]> {
    const prefix = this.segments(resourceIdentifier).join('/');
    try {
      const { entries } = await this.api<{
        entries: Array<{ id: string; size: number; isContainer: boolean }>;
      }>('list', { prefix }, 'list', prefix);
      return entries.map((entry) => ({
        resourceIdentifier: entry.id,
        size: entry.size,
        isContainer: entry.isContainer,
      }));
    } catch (error) {
      // Implicit containers: one that holds nothing does not exist, and lists empty.
      if (error instanceof AccessorResourceNotFoundError) return [];
      throw error;
    }
  }

  async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}): Promise<Readable> {
    const id = this.fileIdentifier(resourceIdentifier, 'read');
    const { start, end, signal } = options;
    const headers: Record<string, string> = {};
    if (start !== undefined || end !== undefined) headers.range = `bytes=${start ?? 0}-${end ?? ''}`;
    const response = await withRetry(
      async () => {
        const { url } = await this.sign('get', id, signal);
        // node:http rather than fetch: the body is a plain Readable, about
        // 20 % faster than web streams. No timeout: a download takes as long
        // as it takes; `signal` stops it.
        return httpResponse(url, {
          method: 'GET',
          headers,
          signal,
          resourceIdentifier: id,
          operation: 'read',
          accept: [200, 206, 416],
        });
      },
      { ...this.retry, ...(signal ? { signal } : {}) },
    );
    if (response.statusCode === 416) {
      response.resume();
      return Readable.from([]);
    }
    if (response.statusCode === 200 && start !== undefined && start > 0) {
      response.destroy();
      throw errorFromResponse(200, { code: 'RangeIgnored', message: 'the server ignored Range' }, 'read', id);
    }
    return response;
  }

  // ---------------------------------------------------------------- writing

  async write(
    resourceIdentifier: string,
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const id = this.fileIdentifier(resourceIdentifier, 'write');
    const { signal } = options;
    signal?.throwIfAborted();
    const expected = options.checksum;
    const algorithms = [
      ...new Set([...(options.checksums ?? []), ...(expected ? [expected.algorithm] : [])]),
    ];
    // Buffers and strings can be sent again; a stream only while unread.
    const replayable = typeof source === 'string' || source instanceof Uint8Array;
    if (replayable && options.size !== undefined) {
      const length = typeof source === 'string' ? Buffer.byteLength(source) : source.byteLength;
      if (length !== options.size)
        throw new AccessorIntegrityError({
          operation: 'write',
          resourceIdentifier: id,
          message: `Size mismatch for ${JSON.stringify(id)}: expected ${options.size} bytes, got ${length}.`,
          details: { expectedSize: options.size, actualSize: length },
        });
    }

    const metadata = {
      componentId: id,
      fileName: id.slice(id.lastIndexOf('/') + 1),
      overwrite: options.overwrite ?? true,
      ...(options.size !== undefined ? { fileSize: options.size } : {}),
      ...(expected?.algorithm === 'md5' ? { checksum: expected.value.toLowerCase() } : {}),
      ...(expected?.algorithm === 'sha256' ? { sha256: expected.value.toLowerCase() } : {}),
    };

    let consumed = false;
    const attempt = async (): Promise<{ measuring: MeasuringStream; answer: Record<string, unknown> }> => {
      const upload = await this.api<UploadMetadata>('upload-metadata', metadata, 'write', id, signal);
      const measuring = new MeasuringStream({
        algorithms,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      const input = toReadable(source);
      let sourceError: unknown;
      pipeline(input, measuring, (error) => {
        if (error) sourceError = error;
      });
      const headers = Object.fromEntries(
        Object.entries(upload.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'content-length'),
      );
      let answer: Record<string, unknown>;
      try {
        const response = await sendBody(upload.url, upload.method ?? 'PUT', headers, measuring, {
          signal,
          resourceIdentifier: id,
          onBodyStart: () => {
            consumed = true;
          },
        });
        if (response.status < 200 || response.status >= 300)
          throw errorFromResponse(response.status, parseErrorBody(response.text), 'write', id);
        answer = parseJsonObject(response.text);
      } catch (error) {
        measuring.destroy();
        if (sourceError !== undefined && !signal?.aborted)
          throw errorFromNetwork(sourceError, 'write', id, signal);
        // The server cut the body short: when the bytes already disagree with
        // what was announced, say so rather than blame the network.
        if (options.size !== undefined && measuring.size > options.size)
          throw new AccessorIntegrityError({
            operation: 'write',
            resourceIdentifier: id,
            message: `Size mismatch for ${JSON.stringify(id)}: more than the expected ${options.size} bytes.`,
            details: { expectedSize: options.size },
            cause: error,
          });
        throw error;
      }
      if (upload.completeUrl) {
        await this.send('write', id, upload.completeUrl, { method: 'POST' }, this.signalFor(signal));
      }
      return { measuring, answer };
    };

    // A replay that finds the target may be finding this write's own publish,
    // whose reply the cut lost: marked, the engine adopts it if the bytes match.
    let attempts = 0;
    const replaying = async () => {
      const replay = attempts++ > 0;
      try {
        return await attempt();
      } catch (error) {
        throw replay ? markAppearedDuringWrite(error) : error;
      }
    };
    const { measuring, answer } = await withRetry(replaying, {
      ...this.retry,
      ...(signal ? { signal } : {}),
      shouldRetry: (error) =>
        error instanceof StowageError && error.transient && (replayable || !consumed) && !signal?.aborted,
    });

    const checksums = measuring.digests();
    const result: WriteResult = { size: measuring.size, checksums: {} };
    for (const algorithm of options.checksums ?? []) {
      const value = checksums[algorithm];
      if (value !== undefined) result.checksums[algorithm] = value;
    }
    if (options.size !== undefined && measuring.size !== options.size) {
      await this.remove(id).catch(() => {});
      throw new AccessorIntegrityError({
        operation: 'write',
        resourceIdentifier: id,
        message: `Size mismatch for ${JSON.stringify(id)}: expected ${options.size} bytes, got ${measuring.size}.`,
        details: { expectedSize: options.size, actualSize: measuring.size },
      });
    }
    if (expected && !SERVER_VERIFIED.has(expected.algorithm)) {
      // The server cannot check this one: verify here, and take back a bad upload.
      const actual = checksums[expected.algorithm];
      if (actual !== undefined && actual !== expected.value.toLowerCase()) {
        await this.remove(id).catch(() => {});
        throw new AccessorIntegrityError({
          operation: 'write',
          resourceIdentifier: id,
          message: `${expected.algorithm} mismatch for ${JSON.stringify(id)}.`,
          details: { algorithm: expected.algorithm, expected: expected.value, actual },
        });
      }
    }
    // The server reports the MD5 it stored: a last end-to-end check.
    const stored = typeof answer.md5 === 'string' ? answer.md5 : undefined;
    if (stored && checksums.md5 && stored !== checksums.md5)
      throw new AccessorIntegrityError({
        operation: 'write',
        resourceIdentifier: id,
        message: `The server stored different bytes for ${JSON.stringify(id)} (MD5 differs).`,
      });
    return result;
  }

  async remove(resourceIdentifier: string): Promise<void> {
    const id = this.fileIdentifier(resourceIdentifier, 'remove');
    await withRetry(async () => {
      const { url } = await this.sign('remove', id);
      await this.send('remove', id, url, { method: 'DELETE' }, this.signalFor());
    }, this.retry);
  }

  /** Containers are implicit: nothing to create, but the identifier must be valid. */
  async makeContainer(resourceIdentifier: string, _recursive = false): Promise<void> {
    this.segments(resourceIdentifier);
  }

  async removeContainer(resourceIdentifier: string, options: { recursive?: boolean } = {}): Promise<void> {
    const prefix = this.fileIdentifier(resourceIdentifier, 'removeContainer');
    await this.api(
      'remove-container',
      { prefix, recursive: options.recursive ?? false },
      'removeContainer',
      prefix,
    );
  }

  /** A signed, expiring download URL; it carries a signature, never the API key. */
  override async getUrl(resourceIdentifier: string, options: GetUrlOptions = {}): Promise<string> {
    const id = this.fileIdentifier(resourceIdentifier, 'getUrl');
    return (await this.sign('get', id, undefined, options.expiresIn ?? this.urlExpiresIn)).url;
  }
}

/** A request without a body with node:http(s); resolves with the response when its status is accepted. */
function httpResponse(
  url: string,
  options: {
    method: 'GET' | 'HEAD';
    headers: Record<string, string>;
    signal: AbortSignal | undefined;
    resourceIdentifier: string;
    operation: string;
    accept: number[];
  },
): Promise<IncomingMessage> {
  const { signal, resourceIdentifier, operation } = options;
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      { method: options.method, headers: options.headers, ...(signal ? { signal } : {}) },
      (response) => {
        const status = response.statusCode ?? 0;
        if (options.accept.includes(status)) {
          resolve(response);
          return;
        }
        bodyText(response, ERROR_BODY_BYTES).then(
          (text) => reject(errorFromResponse(status, parseErrorBody(text), operation, resourceIdentifier)),
          (error) => reject(errorFromNetwork(error, operation, resourceIdentifier, signal)),
        );
      },
    );
    request.on('error', (error) => reject(errorFromNetwork(error, operation, resourceIdentifier, signal)));
    request.end();
  });
}

/**
 * A request with a streamed body (the upload's PUT), with node:http(s): the
 * body flows with backpressure, so memory stays at a few chunks. fetch keeps
 * a streamed request body in memory until the request ends (nodejs/undici#4058:
 * 1.1 GiB of RSS for a 1 GiB upload). The body starts flowing once the socket
 * is connected (`onBodyStart`): a connection refused before that has read
 * nothing, and the write may be tried again. Resolves with the status and up
 * to 64 KiB of the answer; an answer that arrives before the body is sent
 * (the server refused it early) wins over the broken pipe that follows.
 */
function sendBody(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Readable,
  options: { signal: AbortSignal | undefined; resourceIdentifier: string; onBodyStart(): void },
): Promise<{ status: number; text: string }> {
  const { signal, resourceIdentifier } = options;
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    let answered = false;
    const fail = (error: unknown) => {
      if (!answered) reject(errorFromNetwork(error, 'write', resourceIdentifier, signal));
    };
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      { method, headers, ...(signal ? { signal } : {}) },
      (response) => {
        answered = true;
        bodyText(response, ERROR_BODY_BYTES).then(
          (text) => resolve({ status: response.statusCode ?? 0, text }),
          (error) => reject(errorFromNetwork(error, 'write', resourceIdentifier, signal)),
        );
      },
    );
    request.on('error', fail);
    const start = () => {
      options.onBodyStart();
      pipeline(body, request, (error) => {
        if (error) fail(error);
      });
    };
    request.once('socket', (socket) => {
      if (socket.connecting) socket.once('connect', start);
      else start();
    });
  });
}

/** A request with a small body or none; resolves with the status and the whole answer. */
function sendRequest(
  url: string | URL,
  init: { method: string; headers?: Record<string, string>; body?: string },
  options: { signal: AbortSignal | undefined; resourceIdentifier: string; operation: string },
): Promise<{ status: number; text: string }> {
  const { signal, resourceIdentifier, operation } = options;
  return new Promise((resolve, reject) => {
    const target = typeof url === 'string' ? new URL(url) : url;
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      {
        method: init.method,
        headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        ...(signal ? { signal } : {}),
      },
      (response) => {
        // Whole: a listing's answer can be large.
        bodyText(response).then(
          (text) => resolve({ status: response.statusCode ?? 0, text }),
          (error) => reject(errorFromNetwork(error, operation, resourceIdentifier, signal)),
        );
      },
    );
    request.on('error', (error) => reject(errorFromNetwork(error, operation, resourceIdentifier, signal)));
    request.end(body);
  });
}

/** What is kept of an answer that only explains an error or confirms an upload. */
const ERROR_BODY_BYTES = 64 * 1024;

/** An answer's body as text, keeping at most about `limit` bytes (the rest is read and dropped). */
function bodyText(response: IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    response.on('data', (chunk: Buffer) => {
      if (length < limit) chunks.push(chunk);
      length += chunk.length;
    });
    response.on('error', reject);
    response.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

/** The JSON object of an answer, or an empty one. */
function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function parseErrorBody(text: string): ServerErrorBody {
  try {
    const parsed = JSON.parse(text) as { error?: ServerErrorBody };
    const error = parsed?.error;
    return {
      ...(typeof error?.code === 'string' ? { code: error.code.slice(0, 64) } : {}),
      ...(typeof error?.message === 'string' ? { message: error.message.slice(0, 300) } : {}),
    };
  } catch {
    return {};
  }
}
