import { DiskAccessor } from '@stowage/accessor-disk';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ApiKeyAuthenticator } from './api-keys.js';
import type { ServerContext } from './context.js';
import { corsHeaders, preflightHeaders } from './cors.js';
import { HttpError } from './http-error.js';
import { DEFAULTS, type FileServerOptions } from './options.js';
import { apiRoutes } from './routes/api.js';
import { completeRoutes } from './routes/complete.js';
import { getRoutes } from './routes/get.js';
import { putRoutes } from './routes/put.js';
import { removeRoutes } from './routes/remove.js';

const MIN_SECRET_LENGTH = 16;

/** Request URLs for logs, with signatures cut out: a signed URL is a credential until it expires. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]signature=)[^&]*/g, '$1[redacted]');
}

function resolveContext(options: FileServerOptions): { context: ServerContext; ownsAccessor: boolean } {
  const secrets =
    typeof options.secret === 'string' || Buffer.isBuffer(options.secret) ? [options.secret] : options.secret;
  if (!secrets || secrets.length === 0 || secrets.some((secret) => secret.length < MIN_SECRET_LENGTH))
    throw new TypeError(`The file server secret must be at least ${MIN_SECRET_LENGTH} characters long.`);
  if (!options.accessor && !options.root)
    throw new TypeError('The file server needs an accessor, or a root folder for its DiskAccessor.');
  const accel = options.accelRedirect || undefined;
  if (accel !== undefined && !/^\/[A-Za-z0-9._~/-]*\/$/.test(accel))
    throw new TypeError('accelRedirect must be a location path such as "/protected/".');
  return {
    ownsAccessor: !options.accessor,
    context: {
      accessor: options.accessor ?? new DiskAccessor({ prefix: options.root! }),
      secret: options.secret,
      authenticator: new ApiKeyAuthenticator(options.apiKeys),
      maxBodySize: options.maxBodySize ?? DEFAULTS.maxBodySize,
      signatureTimeout: options.signatureTimeout ?? DEFAULTS.signatureTimeout,
      maxSignatureTimeout: options.maxSignatureTimeout ?? DEFAULTS.maxSignatureTimeout,
      requireTimeout: options.requireTimeout ?? true,
      accelRedirect: accel,
      corsOrigins: options.corsOrigins ?? '*',
      publicUrl: options.publicUrl,
      directUpload: options.directUpload ?? false,
    },
  };
}

/**
 * The file server as a Fastify instance (not listening yet: call `listen`,
 * or use `startFileServer`). Routes: PUT /put, GET|HEAD /get, GET|DELETE
 * /remove, POST /complete, POST /api/upload-metadata, POST /api/sign,
 * OPTIONS (CORS preflight) and GET /healthz.
 */
export function createFileServer(options: FileServerOptions): FastifyInstance {
  const { context, ownsAccessor } = resolveContext(options);
  const app = Fastify({
    logger: options.logger
      ? {
          serializers: {
            req: (request) => ({
              method: request.method,
              url: redactUrl(request.url),
              remoteAddress: request.ip,
            }),
          },
        }
      : false,
    trustProxy: options.trustProxy ?? DEFAULTS.trustProxy,
    exposeHeadRoutes: false,
    // JSON API bodies only; uploads bypass body parsing (see routes/put.ts).
    bodyLimit: 64 * 1024,
    // Large uploads take as long as they take; idle sockets still time out.
    requestTimeout: 0,
    return503OnClosing: true,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(corsHeaders(context.corsOrigins, request.headers.origin));
  });
  app.options('*', async (request, reply) => {
    reply.headers(preflightHeaders(context.corsOrigins, request.headers.origin, request.url.split('?')[0]!));
    reply.header('content-type', 'text/plain; charset=utf-8');
    return reply.code(204).send();
  });
  app.route({ method: ['GET', 'HEAD'], url: '/healthz', handler: async () => ({ status: 'ok' }) });

  app.register(putRoutes, { context });
  app.register(getRoutes, { context });
  app.register(removeRoutes, { context });
  app.register(completeRoutes, { context });
  app.register(apiRoutes, { context, prefix: '/api' });

  app.setNotFoundHandler(async (_request, reply) =>
    reply.code(404).send({ error: { code: 'NotFound', message: 'No such endpoint.' } }),
  );
  app.setErrorHandler(async (error: FastifyError | HttpError, request, reply) => {
    const status = error instanceof HttpError ? error.statusCode : (error.statusCode ?? 500);
    const known = error instanceof HttpError || (status >= 400 && status < 500);
    const code =
      error instanceof HttpError ? error.code : known ? (error.code ?? 'BadRequest') : 'InternalError';
    const message = known ? error.message : 'Internal server error.';
    if (status >= 500) request.log.error({ err: error.cause ?? error }, 'request failed');
    // An upload refused before its body was read: close rather than drain it.
    if (!request.raw.complete) reply.header('connection', 'close');
    return reply.code(status).send({ error: { code, message } });
  });

  if (ownsAccessor) app.addHook('onClose', async () => context.accessor.close());
  return app;
}
