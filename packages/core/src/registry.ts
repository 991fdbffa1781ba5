import type { ComponentKind, ComponentRecord, VersionContext } from './component.js';
import type { Checksums } from './streams.js';

/** A component as a registry stores it: the record with its container by id. */
export interface StoredComponent {
  id: string;
  name: string;
  kind: ComponentKind;
  fileType: string;
  size: number;
  padding?: number;
  containerId?: string | null;
  version?: VersionContext | null;
}

/** Where a component's bytes are in one location (ftrack's ComponentLocation). */
export interface ComponentLocationRecord {
  componentId: string;
  locationId: string;
  /** As stored: after the location's transformer encoded it. */
  resourceIdentifier: string;
  /** Hex digests computed while the file was written here (files only; absent when unknown). */
  checksums?: Checksums;
}

/** `{componentId: {locationId: percent}}`, percent rounded to 9 decimals. */
export type AvailabilityMap = Record<string, Record<string, number>>;

/**
 * Where components and their component-locations live. Implementations:
 * MemoryRegistry (core), SqliteRegistry (@stowage/registry-sqlite). Every
 * implementation passes the contract suite in `@stowage/core/testing`.
 */
export interface Registry {
  /**
   * Insert or update component records (members may come in the same batch).
   * Reads return copies; an absent `containerId` or `version` reads back as null.
   */
  putComponents(components: StoredComponent[]): Promise<void>;
  getComponent(id: string): Promise<StoredComponent | undefined>;
  getComponents(ids: string[]): Promise<StoredComponent[]>;
  /** Members of a sequence or container, ordered by name. */
  getMembers(containerId: string): Promise<StoredComponent[]>;

  /**
   * Register component-locations in one transaction. If any component is
   * already in the location (or twice in the batch), nothing is written and
   * the returned list names those components, each once, in batch order (the
   * caller raises ComponentInLocationError).
   */
  addComponentLocations(records: ComponentLocationRecord[]): Promise<{ conflicts: string[] }>;
  /** Remove component-locations in one transaction; missing ones are ignored. */
  removeComponentLocations(locationId: string, componentIds: string[]): Promise<void>;
  /** Component-locations of these components, optionally only in these locations. */
  getComponentLocations(componentIds: string[], locationIds?: string[]): Promise<ComponentLocationRecord[]>;
  /** Ids of every component registered in a location. */
  listComponentIds(locationId: string): Promise<string[]>;

  /**
   * Availability of components in locations (ftrack's rules): a component
   * without members is 0 or 100; one with members is the mean of its members'
   * availabilities, its own record ignored. A component met again inside
   * itself (a malformed cycle) counts as 0 there.
   */
  getAvailabilities(componentIds: string[], locationIds: string[]): Promise<AvailabilityMap>;

  close(): Promise<void>;
}

/** ftrack rounds availability to 9 decimals (1 of 3 -> 33.333333333). */
export function roundAvailability(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/** The stored shape of a component record. */
export function toStoredComponent(component: ComponentRecord & { size?: number }): StoredComponent {
  return {
    id: component.id,
    name: component.name,
    kind: component.kind,
    fileType: component.fileType,
    size: component.size ?? 0,
    ...(component.padding !== undefined ? { padding: component.padding } : {}),
    containerId: component.container?.id ?? null,
    version: component.version ?? null,
  };
}
