import type { ResourceStat } from '@stowage/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import mime from 'mime-types';
import { contentMd5FromHex } from '../checksum.js';
import { type ServerContext, verifyRequest } from '../context.js';
import { HttpError, httpErrorFromAccessor } from '../http-error.js';
import { storagePath } from '../ids.js';
import { parseRange } from '../range.js';

/** A strong ETag: the storage's own, or size and modification time (as nginx makes them). */
function entityTag(info: ResourceStat): string {
  if (info.etag) return `"${info.etag.replace(/^W\//, '').replace(/^"|"$/g, '')}"`;
  return `"${info.size.toString(16)}-${(info.modified?.getTime() ?? 0).toString(16)}"`;
}

function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

/**
 * GET|HEAD /get?id&signature[&user&invitee&timeout]: the component's bytes
 * with Content-Type from its extension, ETag, Last-Modified, one-range
 * requests (206/416) and If-Match/If-None-Match/If-Range. In accel mode GET
 * only names the file for nginx (`X-Accel-Redirect`), which serves it.
 */
export async function getRoutes(
  app: FastifyInstance,
  { context }: { context: ServerContext },
): Promise<void> {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/get',
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const { id } = verifyRequest(context, 'get', request);
      const path = storagePath(id);
      let info: ResourceStat;
      try {
        info = await context.accessor.stat(path);
      } catch (error) {
        throw httpErrorFromAccessor(error, id);
      }
      if (info.isContainer) throw new HttpError(404, 'NotFound', `Component ${id} not found.`);

      const etag = entityTag(info);
      reply.header('content-type', mime.lookup(id) || 'application/octet-stream');
      reply.header('etag', etag);
      if (info.modified) reply.header('last-modified', info.modified.toUTCString());
      reply.header('accept-ranges', 'bytes');
      reply.header('cache-control', 'private, no-transform');

      const ifMatch = request.headers['if-match'];
      if (ifMatch !== undefined && !matches(ifMatch, etag))
        throw new HttpError(412, 'PreconditionFailed', 'The component has changed.');
      if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send();

      if (context.accelRedirect && request.method === 'GET') {
        // nginx takes Content-Length, ranges and the bytes from here.
        // Percent-encoded: nginx decodes the URI before mapping it onto its alias.
        const uri = path.split('/').map(encodeURIComponent).join('/');
        reply.header('x-accel-redirect', `${context.accelRedirect}${uri}`);
        return reply.code(200).send();
      }

      const ifRange = request.headers['if-range'];
      const range =
        ifRange !== undefined && ifRange !== etag && ifRange !== reply.getHeader('last-modified')
          ? ({ type: 'full' } as const)
          : parseRange(request.headers.range, info.size);
      if (range.type === 'unsatisfiable') {
        reply.header('content-range', `bytes */${info.size}`);
        throw new HttpError(416, 'RangeNotSatisfiable', 'The range is outside the component.');
      }
      let start = 0;
      let end = info.size - 1;
      if (range.type === 'partial') {
        ({ start, end } = range);
        reply.code(206);
        reply.header('content-range', `bytes ${start}-${end}/${info.size}`);
      } else if (info.checksums?.md5) {
        reply.header('content-md5', contentMd5FromHex(info.checksums.md5));
      }
      const length = Math.max(0, end - start + 1);
      reply.header('content-length', String(length));
      if (request.method === 'HEAD' || length === 0) return reply.send();

      const controller = new AbortController();
      // Stop reading storage when the client goes away.
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) controller.abort();
      });
      try {
        const stream = await context.accessor.createReadStream(path, {
          start,
          end,
          signal: controller.signal,
        });
        return reply.send(stream);
      } catch (error) {
        throw httpErrorFromAccessor(error, id);
      }
    },
  });
}
