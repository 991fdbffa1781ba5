import type { ListEntry } from '@stowage/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import mime from 'mime-types';
import { contentMd5FromHex, parseMd5 } from '../checksum.js';
import { expiryFromNow, publicBaseUrl, type ServerContext } from '../context.js';
import { canPresignUpload } from '../direct-upload.js';
import { HttpError, httpErrorFromAccessor } from '../http-error.js';
import { isValidComponentId, isValidPrefix, storageContainer, storagePath } from '../ids.js';
import { type SignedParameters, signUrl } from '../signature.js';
import { pruneEmptyContainers } from './remove.js';

type Body = Record<string, unknown>;
const CONTROL = /[\u0000-\u001f\u007f]/;

function objectBody(request: FastifyRequest): Body {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'InvalidBody', 'The body must be a JSON object.');
  return body as Body;
}

/** A field by its Stowage (camelCase) or ftrack (snake_case) name. */
function field(body: Body, name: string, ftrackName: string): unknown {
  return body[name] ?? body[ftrackName];
}

function componentId(body: Body): string {
  const id = field(body, 'componentId', 'component_id');
  if (!isValidComponentId(id))
    throw new HttpError(
      400,
      'InvalidId',
      'componentId must be a uuid or a relative path of names (no "..", control characters or backslashes).',
    );
  return id;
}

function optionalText(body: Body, name: string, ftrackName: string, max = 1024): string | undefined {
  const value = field(body, name, ftrackName);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max || CONTROL.test(value))
    throw new HttpError(
      400,
      'InvalidBody',
      `${name} must be a string of at most ${max} printable characters.`,
    );
  return value;
}

function optionalInteger(body: Body, name: string, ftrackName: string): number | undefined {
  const value = field(body, name, ftrackName);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new HttpError(400, 'InvalidBody', `${name} must be a non-negative integer.`);
  return value;
}

function expiresIn(body: Body, context: ServerContext): number {
  const value = optionalInteger(body, 'expiresIn', 'expires_in') ?? context.signatureTimeout;
  if (value < 1 || value > context.maxSignatureTimeout)
    throw new HttpError(
      400,
      'InvalidBody',
      `expiresIn must be between 1 and ${context.maxSignatureTimeout} seconds.`,
    );
  return value;
}

/** RFC 6266 Content-Disposition, with an RFC 5987 `filename*` for names that are not plain ASCII. */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (fallback === fileName) return `attachment; filename="${fileName}"`;
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * The authenticated API (API key + user in headers, never in URLs):
 *   POST /api/upload-metadata  {componentId, fileName?, fileSize?, checksum?, sha256?, overwrite?,
 *                               invitee?, expiresIn?} -> {url, method, headers, expiresAt[, completeUrl]}
 *   POST /api/sign             {action: 'get'|'head'|'remove', componentId, invitee?, expiresIn?}
 *                               -> {url, method, expiresAt}
 *   POST /api/list             {prefix?} -> {prefix, entries: [{id, size, isContainer}]} (direct children)
 *   POST /api/remove-container {prefix, recursive?} -> {prefix, removed}
 */
export async function apiRoutes(
  app: FastifyInstance,
  { context }: { context: ServerContext },
): Promise<void> {
  // JSON only: anything else is 415.
  app.removeContentTypeParser('text/plain');
  const users = new WeakMap<FastifyRequest, string>();
  app.addHook('onRequest', async (request) => {
    const user = context.authenticator.authenticate(request.headers);
    if (user === undefined)
      throw new HttpError(401, 'Unauthorized', 'A valid API key and user are required.');
    users.set(request, user);
  });

  app.post('/upload-metadata', async (request) => {
    const body = objectBody(request);
    const id = componentId(body);
    const fileName = optionalText(body, 'fileName', 'file_name') ?? id;
    const size = optionalInteger(body, 'fileSize', 'file_size');
    const checksum = optionalText(body, 'checksum', 'checksum', 64);
    const md5 = checksum === undefined ? undefined : parseMd5(checksum);
    if (checksum !== undefined && md5 === undefined)
      throw new HttpError(400, 'InvalidDigest', 'checksum must be an MD5, base64 (as Content-MD5) or hex.');
    const sha256Text = optionalText(body, 'sha256', 'sha256', 64);
    if (sha256Text !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha256Text))
      throw new HttpError(400, 'InvalidDigest', 'sha256 must be 64 hex digits.');
    const sha256 = sha256Text?.toLowerCase();
    const overwrite = field(body, 'overwrite', 'overwrite');
    if (overwrite !== undefined && typeof overwrite !== 'boolean')
      throw new HttpError(400, 'InvalidBody', 'overwrite must be a boolean.');
    const invitee = optionalText(body, 'invitee', 'invitee', 256);
    const lifetime = expiresIn(body, context);
    if (size !== undefined && size > context.maxBodySize)
      throw new HttpError(413, 'TooLarge', `The upload exceeds the limit of ${context.maxBodySize} bytes.`);

    const path = storagePath(id);
    const direct = context.directUpload && canPresignUpload(context.accessor);
    try {
      if (overwrite !== true && (await context.accessor.exists(path)))
        throw new HttpError(409, 'Exists', `Component ${id} already exists.`);
      if (direct && storageContainer(id) !== '' && context.accessor.capabilities.containers !== 'implicit')
        await context.accessor.makeContainer(storageContainer(id), true);
    } catch (error) {
      throw httpErrorFromAccessor(error, id);
    }

    const timeout = expiryFromNow(lifetime);
    const parameters: SignedParameters = {
      id,
      size,
      md5,
      sha256,
      overwrite: overwrite === true ? true : undefined,
      user: users.get(request),
      invitee,
      timeout,
    };
    const contentType = mime.lookup(fileName) || 'application/octet-stream';
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'Content-Disposition': contentDisposition(fileName),
    };
    if (md5) headers['Content-MD5'] = contentMd5FromHex(md5);
    const expiresAt = new Date(timeout * 1000).toISOString();
    const base = publicBaseUrl(context, request);

    if (direct && canPresignUpload(context.accessor)) {
      let presigned: Awaited<ReturnType<typeof context.accessor.getUploadUrl>>;
      try {
        presigned = await context.accessor.getUploadUrl(path, {
          expiresIn: lifetime,
          contentType,
          size,
          md5,
        });
      } catch (error) {
        throw httpErrorFromAccessor(error, id);
      }
      const { url, headers: storageHeaders = {} } =
        typeof presigned === 'string' ? { url: presigned, headers: {} } : presigned;
      return {
        url,
        method: 'PUT',
        headers: { ...headers, ...storageHeaders },
        expiresAt,
        completeUrl: signUrl(base, 'complete', { ...parameters, overwrite: undefined }, context.secret),
      };
    }
    return { url: signUrl(base, 'put', parameters, context.secret), method: 'PUT', headers, expiresAt };
  });

  app.post('/list', async (request) => {
    const body = objectBody(request);
    const prefix = field(body, 'prefix', 'prefix') ?? '';
    if (!isValidPrefix(prefix))
      throw new HttpError(400, 'InvalidId', 'prefix must be empty (the root) or a valid component id.');
    const { accessor } = context;
    try {
      const entries: ListEntry[] = accessor.listStats
        ? await accessor.listStats(prefix)
        : await Promise.all(
            (await accessor.list(prefix)).map(async (child) => {
              const info = await accessor.stat(child);
              return { resourceIdentifier: child, size: info.size, isContainer: info.isContainer };
            }),
          );
      return {
        prefix,
        entries: entries.map((entry) => ({
          id: entry.resourceIdentifier,
          size: entry.size,
          isContainer: entry.isContainer,
        })),
      };
    } catch (error) {
      throw httpErrorFromAccessor(error, prefix || '(root)');
    }
  });

  app.post('/remove-container', async (request) => {
    const body = objectBody(request);
    const prefix = field(body, 'prefix', 'prefix');
    if (!isValidComponentId(prefix))
      throw new HttpError(
        400,
        'InvalidId',
        'prefix must be a valid component id (the root cannot be removed).',
      );
    const recursive = field(body, 'recursive', 'recursive') ?? false;
    if (typeof recursive !== 'boolean')
      throw new HttpError(400, 'InvalidBody', 'recursive must be a boolean.');
    const { accessor } = context;
    try {
      await accessor.removeContainer(prefix, { recursive });
    } catch (error) {
      throw httpErrorFromAccessor(error, prefix);
    }
    await pruneEmptyContainers(accessor, storageContainer(prefix));
    return { prefix, removed: true };
  });

  app.post('/sign', async (request) => {
    const body = objectBody(request);
    const action = body.action;
    if (action !== 'get' && action !== 'head' && action !== 'remove')
      throw new HttpError(400, 'InvalidBody', "action must be 'get', 'head' or 'remove'.");
    const id = componentId(body);
    const invitee = optionalText(body, 'invitee', 'invitee', 256);
    const timeout = expiryFromNow(expiresIn(body, context));
    const url = signUrl(
      publicBaseUrl(context, request),
      action === 'remove' ? 'remove' : 'get',
      { id, user: users.get(request), invitee, timeout },
      context.secret,
    );
    const method = action === 'remove' ? 'DELETE' : action === 'head' ? 'HEAD' : 'GET';
    return { url, method, expiresAt: new Date(timeout * 1000).toISOString() };
  });
}
