import type { Accessor } from '@stowage/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ServerContext, verifyRequest } from '../context.js';
import { httpErrorFromAccessor } from '../http-error.js';
import { storageContainer, storagePath } from '../ids.js';

/**
 * Remove the folders a removal left empty, up to the root, so folders stay
 * implicit (they exist while they hold files). Best effort: a folder that
 * gained a file meanwhile is not empty and stays.
 */
export async function pruneEmptyContainers(accessor: Accessor, container: string): Promise<void> {
  if (accessor.capabilities.containers !== 'real' || !accessor.capabilities.removeContainer) return;
  for (
    let current = container;
    current !== '';
    current = current.slice(0, Math.max(0, current.lastIndexOf('/')))
  ) {
    try {
      await accessor.removeContainer(current);
    } catch {
      return;
    }
  }
}

/** GET|DELETE /remove?id&signature[&user&invitee&timeout]: 200, or 404 when there is nothing. */
export async function removeRoutes(
  app: FastifyInstance,
  { context }: { context: ServerContext },
): Promise<void> {
  app.route({
    method: ['GET', 'DELETE'],
    url: '/remove',
    handler: async (request: FastifyRequest, _reply: FastifyReply) => {
      const { id } = verifyRequest(context, 'remove', request);
      try {
        await context.accessor.remove(storagePath(id));
      } catch (error) {
        throw httpErrorFromAccessor(error, id);
      }
      await pruneEmptyContainers(context.accessor, storageContainer(id));
      return { id, removed: true };
    },
  });
}
