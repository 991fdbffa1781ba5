import { pipeline } from 'node:stream';
import { AccessorParentResourceNotFoundError } from '@stowage/core';
import type { FastifyInstance } from 'fastify';
import { contentMd5FromHex, md5FromContentMd5 } from '../checksum.js';
import { type ServerContext, verifyRequest } from '../context.js';
import { HttpError, httpErrorFromAccessor } from '../http-error.js';
import { storageContainer, storagePath } from '../ids.js';
import { VerifyingStream } from '../verifying-stream.js';

/**
 * PUT /put?id&signature[&size&md5&sha256&overwrite&user&invitee&timeout]:
 * streams the body into the accessor (atomically where it can), checking the
 * signed size and checksums and the Content-MD5 header on the way.
 */
export async function putRoutes(
  app: FastifyInstance,
  { context }: { context: ServerContext },
): Promise<void> {
  // Bodies of every type stay unread streams here: /put must never parse or buffer them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.put('/put', async (request, reply) => {
    const parameters = verifyRequest(context, 'put', request);
    const { id } = parameters;
    const { accessor, maxBodySize } = context;

    const header = request.headers['content-md5'];
    let headerMd5: string | undefined;
    if (header !== undefined) {
      headerMd5 = typeof header === 'string' ? md5FromContentMd5(header) : undefined;
      if (headerMd5 === undefined)
        throw new HttpError(400, 'InvalidDigest', 'Content-MD5 must be the base64 MD5 of the body.');
    }
    const md5s = [...new Set([parameters.md5, headerMd5].filter((md5) => md5 !== undefined))];
    if (md5s.length > 1) throw new HttpError(400, 'BadDigest', 'Content-MD5 differs from the signed MD5.');

    const lengthHeader = request.headers['content-length'];
    const contentLength = lengthHeader === undefined ? undefined : Number(lengthHeader);
    if ((contentLength ?? 0) > maxBodySize || (parameters.size ?? 0) > maxBodySize)
      throw new HttpError(413, 'TooLarge', `The body exceeds the limit of ${maxBodySize} bytes.`);
    if (parameters.size !== undefined && contentLength !== undefined && contentLength !== parameters.size)
      throw new HttpError(
        400,
        'SizeMismatch',
        `Content-Length ${contentLength} differs from the announced ${parameters.size} bytes.`,
      );

    const path = storagePath(id);
    const container = storageContainer(id);
    try {
      // Refuse early, before any byte is read; the accessor's atomic
      // no-overwrite publication settles races.
      if (!parameters.overwrite && (await accessor.exists(path)))
        throw new HttpError(409, 'Exists', `Component ${id} already exists.`);
      if (container !== '' && accessor.capabilities.containers !== 'implicit')
        await accessor.makeContainer(container, true);
    } catch (error) {
      throw httpErrorFromAccessor(error, id);
    }

    const verifier = new VerifyingStream({
      maxBytes: maxBodySize,
      size: parameters.size,
      md5: md5s,
      sha256: parameters.sha256,
    });
    // A client that goes away mid-body errors the request, which errors the
    // verifier, which fails the write: nothing is published.
    pipeline(request.raw, verifier, () => {});
    // Open nothing in the storage until the first bytes passed: a body refused
    // at once (too long, wrong size) then leaves no temporary file behind even
    // when the storage's clean-up would race with its own file creation.
    await verifier.started;
    if (verifier.failure) throw verifier.failure;
    if (verifier.errored) throw new HttpError(400, 'BodyAborted', 'The request body was interrupted.');
    const write = () =>
      accessor.write(path, verifier, {
        overwrite: parameters.overwrite === true,
        ...(parameters.size !== undefined ? { size: parameters.size } : {}),
      });
    try {
      try {
        await write();
      } catch (error) {
        // A concurrent removal pruned the folder before the storage read a
        // byte: make it again, once.
        if (
          !(error instanceof AccessorParentResourceNotFoundError) ||
          verifier.readableDidRead ||
          container === ''
        )
          throw error;
        await accessor.makeContainer(container, true);
        await write();
      }
    } catch (error) {
      throw verifier.failure ?? httpErrorFromAccessor(error, id);
    }
    const md5 = verifier.md5Hex!;
    reply.header('etag', `"${md5}"`);
    return {
      id,
      size: verifier.size,
      md5,
      contentMd5: contentMd5FromHex(md5),
      ...(verifier.sha256Hex ? { sha256: verifier.sha256Hex } : {}),
    };
  });
}
