import { type Location, type LocationHost, UnmanagedLocation } from './location.js';
import { MemoryRegistry } from './memory-registry.js';
import { OriginAccessor } from './origin-accessor.js';
import { OriginStructure } from './structure.js';

export const ORIGIN_LOCATION_NAME = 'stowage.origin';
export const UNMANAGED_LOCATION_NAME = 'stowage.unmanaged';

/**
 * The special origin location: components created from local paths are
 * registered here, in memory, for the duration of the session, so they can be
 * added to other locations (ftrack's `ftrack.origin`).
 */
export class OriginLocation extends UnmanagedLocation {
  constructor(host?: LocationHost) {
    super(
      {
        name: ORIGIN_LOCATION_NAME,
        description: 'Plain filesystem paths components were created from (session-local).',
        priority: 100,
        accessor: new OriginAccessor(),
        structure: new OriginStructure(),
        registry: new MemoryRegistry(),
      },
      host,
    );
  }
}

/** Registers components where they already are, moving no data (ftrack's `ftrack.unmanaged`). */
export function createUnmanagedLocation(host?: LocationHost): Location {
  return new UnmanagedLocation(
    {
      name: UNMANAGED_LOCATION_NAME,
      description: 'Components registered at their original paths; no data is moved.',
      priority: 90,
      accessor: new OriginAccessor(),
      structure: new OriginStructure(),
    },
    host,
  );
}
