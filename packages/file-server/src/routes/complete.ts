import { createHash } from 'node:crypto';
import type { ResourceStat } from '@stowage/core';
import type { FastifyInstance } from 'fastify';
import { type ServerContext, verifyRequest } from '../context.js';
import { HttpError, httpErrorFromAccessor } from '../http-error.js';
import { storagePath } from '../ids.js';

/**
 * POST /complete?id&signature[&size&md5&sha256&user&invitee&timeout]: the
 * client uploaded straight to the storage with a presigned URL and reports
 * back. The server checks what arrived (size, then the checksum: the
 * storage's own when it keeps one, else by reading the bytes once) and
 * removes a bad upload.
 */
export async function completeRoutes(
  app: FastifyInstance,
  { context }: { context: ServerContext },
): Promise<void> {
  app.post('/complete', async (request, reply) => {
    const parameters = verifyRequest(context, 'complete', request);
    const { id } = parameters;
    const { accessor } = context;
    const path = storagePath(id);
    let info: ResourceStat;
    try {
      info = await accessor.stat(path);
    } catch (error) {
      throw httpErrorFromAccessor(error, id);
    }
    const reject = async (code: string, message: string): Promise<never> => {
      await accessor.remove(path).catch(() => {});
      throw new HttpError(400, code, message);
    };
    if (parameters.size !== undefined && info.size !== parameters.size)
      await reject(
        'SizeMismatch',
        `The upload has ${info.size} bytes, not the announced ${parameters.size}.`,
      );

    let md5 = info.checksums?.md5;
    let sha256 = info.checksums?.sha256;
    if ((parameters.md5 && !md5) || (parameters.sha256 && !sha256)) {
      const hashes = { md5: createHash('md5'), sha256: createHash('sha256') };
      try {
        for await (const chunk of await accessor.createReadStream(path)) {
          hashes.md5.update(chunk as Buffer);
          hashes.sha256.update(chunk as Buffer);
        }
      } catch (error) {
        throw httpErrorFromAccessor(error, id);
      }
      md5 = hashes.md5.digest('hex');
      sha256 = hashes.sha256.digest('hex');
    }
    if (parameters.md5 && md5 !== parameters.md5)
      await reject('BadDigest', 'The upload does not match its MD5.');
    if (parameters.sha256 && sha256 !== parameters.sha256)
      await reject('BadDigest', 'The upload does not match its SHA-256.');
    if (md5) reply.header('etag', `"${md5}"`);
    return { id, size: info.size, ...(md5 ? { md5 } : {}), ...(sha256 ? { sha256 } : {}) };
  });
}
