import { buildQueryString, type HttpHandler, HttpResponse } from '@smithy/core/protocols';
import type { HttpRequest, HttpHandlerOptions as SmithyHandlerOptions } from '@smithy/types';
import { Agent, type Dispatcher, request } from 'undici';

/** Headers undici sets itself or refuses (it sends `transfer-encoding: chunked` for a body of unknown length). */
const DROPPED_HEADERS = new Set(['expect', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade']);

/** undici's error codes that mean the connection failed: retried like a reset socket. */
const SOCKET_ERRORS = new Set(['UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
/** undici's timeouts: reported as the SDK's TimeoutError, which it retries. */
const TIMEOUT_ERRORS = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export interface UndiciHandlerOptions {
  /** Connections per endpoint (default 50, the SDK's own default). */
  connections?: number;
  /** Milliseconds to wait for a response's headers, and between two pieces of its body (default 300000). */
  timeout?: number;
}

/**
 * The AWS SDK's HTTP layer on undici (Node's own HTTP client project)
 * instead of `node:http`. Receiving a body costs about half the CPU:
 * four 16 MiB range GETs at a time of a 1 GiB object, read to nowhere,
 * took 0.97-1.1 s through the SDK on undici and 1.3-1.4 s on `node:http`,
 * which is as much as rclone's whole download on the test machine.
 *
 * Behaves as the SDK's NodeHttpHandler where the SDK can tell: aborts
 * reject with an `AbortError`, connection failures carry `ECONNRESET`, and
 * timeouts are `TimeoutError`s, so the SDK retries what it retried before.
 * `Expect: 100-continue` is not sent (undici does not do it).
 */
export class UndiciHttpHandler implements HttpHandler<UndiciHandlerOptions> {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly dispatcher: Dispatcher;
  private readonly config: UndiciHandlerOptions;

  constructor(options: UndiciHandlerOptions = {}) {
    this.config = { ...options };
    const timeout = options.timeout ?? 300_000;
    this.dispatcher = new Agent({
      connections: options.connections ?? 50,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  async handle(
    httpRequest: HttpRequest,
    options: SmithyHandlerOptions = {},
  ): Promise<{ response: HttpResponse }> {
    // The SDK passes the AbortSignal given to send() (its older shape has no `reason`).
    const abortSignal = options.abortSignal as AbortSignal | undefined;
    if (abortSignal?.aborted) throw abortError(abortSignal);
    const query = httpRequest.query ? buildQueryString(httpRequest.query) : '';
    const port = httpRequest.port ? `:${httpRequest.port}` : '';
    const url = `${httpRequest.protocol}//${httpRequest.hostname}${port}${httpRequest.path}${query ? `?${query}` : ''}`;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(httpRequest.headers))
      if (!DROPPED_HEADERS.has(name.toLowerCase())) headers[name] = value;
    try {
      const response = await request(url, {
        method: httpRequest.method as Dispatcher.HttpMethod,
        headers,
        body: httpRequest.body ?? null,
        dispatcher: this.dispatcher,
        ...(abortSignal ? { signal: abortSignal } : {}),
      });
      const responseHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers))
        if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
      return {
        response: new HttpResponse({
          statusCode: response.statusCode,
          headers: responseHeaders,
          body: response.body,
        }),
      };
    } catch (error) {
      if (abortSignal?.aborted) throw abortError(abortSignal);
      throw sdkShapedError(error);
    }
  }

  updateHttpClientConfig(key: keyof UndiciHandlerOptions, value: number): void {
    // The connection pool is made once; a later change applies to nothing in flight.
    this.config[key] = value;
  }

  httpHandlerConfigs(): UndiciHandlerOptions {
    return this.config;
  }

  destroy(): void {
    void this.dispatcher.destroy().catch(() => {});
  }
}

/** As NodeHttpHandler builds it: an `AbortError` with the signal's reason as cause. */
function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  const error =
    reason instanceof Error
      ? new Error('Request aborted', { cause: reason })
      : new Error(reason === undefined ? 'Request aborted' : String(reason));
  error.name = 'AbortError';
  return error;
}

/** undici's codes as the SDK's retry rules know them (ECONNRESET, TimeoutError). */
function sdkShapedError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  if (SOCKET_ERRORS.has(code)) {
    return Object.assign(new Error((error as Error).message, { cause: error }), { code: 'ECONNRESET' });
  }
  if (TIMEOUT_ERRORS.has(code)) {
    const timeout = new Error((error as Error).message, { cause: error });
    timeout.name = 'TimeoutError';
    return Object.assign(timeout, { code: 'ETIMEDOUT' });
  }
  return error;
}
