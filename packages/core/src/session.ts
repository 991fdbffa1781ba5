import { buildComponent, type CreateComponentData, shallowRecord } from './build-component.js';
import { type CheckpointStore, FileCheckpointStore } from './checkpoint.js';
import type { Component, ComponentRecord } from './component.js';
import { flattenComponents } from './component.js';
import { LocationError, StowageError } from './errors.js';
import { EVENT_CONFIGURE_LOCATION, EventHub } from './events.js';
import { type AddComponentsOptions, Location, type LocationOptions } from './location.js';
import { MemoryRegistry } from './memory-registry.js';
import { createUnmanagedLocation, OriginLocation } from './origin-location.js';
import { loadPlugins } from './plugins.js';
import type { AvailabilityMap, Registry, StoredComponent } from './registry.js';

export interface SessionOptions {
  registry?: Registry;
  eventHub?: EventHub;
  /** Folders or files with plugins; defaults to STOWAGE_PLUGIN_PATH. */
  pluginPaths?: string | string[];
  /**
   * Checkpoints of resumable uploads, shared by the session's locations;
   * default: a FileCheckpointStore in STOWAGE_CHECKPOINT_DIR or ~/.cache/stowage/checkpoints
   * (created on first use). false: never resume.
   */
  checkpoints?: CheckpointStore | false;
}

export interface ConfigureLocationEventData {
  session: Session;
}

/**
 * Holds the registry, the event hub and the locations; loads plugins and lets
 * them configure locations (ftrack's Session, for the locations part).
 */
export class Session {
  readonly registry: Registry;
  readonly eventHub: EventHub;
  readonly checkpoints: CheckpointStore | false;
  readonly origin: OriginLocation;
  private readonly locations = new Map<string, Location>();
  private readonly pluginPaths: string | string[];

  constructor(options: SessionOptions = {}) {
    this.registry = options.registry ?? new MemoryRegistry();
    this.eventHub = options.eventHub ?? new EventHub();
    this.checkpoints = options.checkpoints ?? new FileCheckpointStore();
    this.pluginPaths = options.pluginPaths ?? process.env.STOWAGE_PLUGIN_PATH ?? [];
    this.origin = new OriginLocation(this);
    this.locations.set(this.origin.name, this.origin);
    const unmanaged = createUnmanagedLocation(this);
    this.locations.set(unmanaged.name, unmanaged);
  }

  /** A session with plugins loaded and the configure-location event emitted. */
  static async create(options: SessionOptions = {}): Promise<Session> {
    const session = new Session(options);
    await session.configure();
    return session;
  }

  /** Load plugins from the plugin path, then emit the configure-location event. */
  async configure(): Promise<void> {
    await loadPlugins(this, this.pluginPaths);
    await this.eventHub.publish<ConfigureLocationEventData>(EVENT_CONFIGURE_LOCATION, { session: this });
  }

  /** Create and register a location; names starting with `stowage.` are reserved. */
  createLocation(options: LocationOptions): Location {
    if (options.name.startsWith('stowage.')) {
      throw new LocationError(`Location names starting with "stowage." are reserved: ${options.name}.`);
    }
    return this.addLocation(new Location(options));
  }

  /** Register a location instance (for Location subclasses). */
  addLocation(location: Location): Location {
    if (this.locations.has(location.name)) {
      throw new LocationError(`A location named "${location.name}" already exists.`);
    }
    for (const existing of this.locations.values()) {
      if (existing.id === location.id)
        throw new LocationError(`A location with id "${location.id}" already exists.`);
    }
    location.attach(this);
    this.locations.set(location.name, location);
    return location;
  }

  /** A location by name or id. */
  getLocation(nameOrId: string): Location {
    const location =
      this.locations.get(nameOrId) ??
      [...this.locations.values()].find((candidate) => candidate.id === nameOrId);
    if (!location) {
      throw new LocationError(
        `No location named "${nameOrId}". Known: ${[...this.locations.keys()].join(', ')}.`,
      );
    }
    return location;
  }

  /** Every location, sorted by priority (lower first). */
  getLocations(): Location[] {
    return [...this.locations.values()].sort((a, b) => a.priority - b.priority);
  }

  /** Locations with an accessor, by priority (ftrack's `_get_locations(filter_inaccessible=True)`). */
  private accessibleLocations(): Location[] {
    return this.getLocations().filter((location) => location.accessor !== undefined);
  }

  /**
   * The highest-priority accessible location; with a component, the
   * highest-priority accessible location where it is fully available.
   */
  async pickLocation(component?: { id: string }): Promise<Location | null> {
    if (!component) return this.accessibleLocations()[0] ?? null;
    return (await this.pickLocations([component]))[0] ?? null;
  }

  async pickLocations(components: Array<{ id: string }>): Promise<Array<Location | null>> {
    const locations = this.accessibleLocations();
    const availabilities = await this.getComponentAvailabilities(components, locations);
    return availabilities.map(
      (availability) => locations.find((location) => availability[location.id] === 100) ?? null,
    );
  }

  /**
   * Create a component from a path or a sequence expression
   * (`/path/file.%04d.exr [1-5, 7]`), register it in the origin location, and
   * add it to `location` ('auto' picks one; null keeps it only in origin).
   */
  async createComponent(
    path: string,
    data: CreateComponentData = {},
    location: Location | 'auto' | null = 'auto',
    options: AddComponentsOptions = {},
  ): Promise<Component> {
    const target = location === 'auto' ? await this.pickLocation() : location;
    const { component, sources } = await buildComponent(path, data);
    const all = flattenComponents([component]);
    await this.origin.addComponents(
      all,
      all.map((item) => sources.get(item.id)!),
      { recursive: false },
    );
    if (target) await target.addComponent(component, this.origin, options);
    return component;
  }

  /** A component (with members) as stored in the session's registry. */
  async getComponent(id: string): Promise<Component> {
    const stored = await this.registry.getComponent(id);
    if (!stored) throw new StowageError(`No component with id ${id}.`, { details: { componentId: id } });
    const container = stored.containerId ? await this.registry.getComponent(stored.containerId) : undefined;
    return this.rebuild(stored, container ? fromStored(container) : null);
  }

  private async rebuild(stored: StoredComponent, container: ComponentRecord | null): Promise<Component> {
    const component: Component = { ...fromStored(stored), container };
    if (stored.kind !== 'file') {
      const members = await this.registry.getMembers(stored.id);
      const record = shallowRecord(component);
      component.members = await Promise.all(members.map((member) => this.rebuild(member, record)));
    }
    return component;
  }

  /** `{locationId: percent}` for one component, over all (or the given) locations. */
  async getComponentAvailability(
    component: { id: string },
    locations?: Location[],
  ): Promise<Record<string, number>> {
    return (await this.getComponentAvailabilities([component], locations))[0]!;
  }

  /** Availabilities of many components, one registry query per registry involved. */
  async getComponentAvailabilities(
    components: Array<{ id: string }>,
    locations: Location[] = this.getLocations(),
  ): Promise<Array<Record<string, number>>> {
    const byRegistry = new Map<Registry, string[]>();
    for (const location of locations) {
      let ids = byRegistry.get(location.registry);
      if (!ids) byRegistry.set(location.registry, (ids = []));
      ids.push(location.id);
    }
    const ids = components.map((component) => component.id);
    const maps: AvailabilityMap[] = [];
    for (const [registry, locationIds] of byRegistry)
      maps.push(await registry.getAvailabilities(ids, locationIds));
    return components.map((component) => {
      const result: Record<string, number> = {};
      for (const location of locations) result[location.id] = 0;
      for (const map of maps) Object.assign(result, map[component.id]);
      return result;
    });
  }

  /** Close every accessor and the registry. */
  async close(): Promise<void> {
    const accessors = new Set([...this.locations.values()].flatMap((location) => location.accessor ?? []));
    await Promise.all([...accessors].map((accessor) => accessor.close()));
    await this.registry.close();
  }
}

function fromStored(stored: StoredComponent): Component {
  return {
    id: stored.id,
    name: stored.name,
    kind: stored.kind,
    fileType: stored.fileType,
    size: stored.size,
    ...(stored.padding !== undefined ? { padding: stored.padding } : {}),
    version: stored.version ?? null,
  };
}
