import type { AvailabilityMap, ComponentLocationRecord, Registry, StoredComponent } from './registry.js';
import { roundAvailability } from './registry.js';
import type { Checksums } from './streams.js';

/** A registry in process memory: the default for tests and the memory location. */
export class MemoryRegistry implements Registry {
  private readonly components = new Map<string, StoredComponent>();
  private readonly members = new Map<string, Set<string>>();
  /** componentId -> locationId -> resource identifier */
  private readonly locations = new Map<
    string,
    Map<string, { resourceIdentifier: string; checksums?: Checksums }>
  >();

  async putComponents(components: StoredComponent[]): Promise<void> {
    for (const component of components) {
      const previous = this.components.get(component.id);
      if (previous?.containerId) this.members.get(previous.containerId)?.delete(previous.id);
      this.components.set(component.id, copy(component));
      if (component.containerId) {
        let set = this.members.get(component.containerId);
        if (!set) this.members.set(component.containerId, (set = new Set()));
        set.add(component.id);
      }
    }
  }

  async getComponent(id: string): Promise<StoredComponent | undefined> {
    const component = this.components.get(id);
    return component && copy(component);
  }

  async getComponents(ids: string[]): Promise<StoredComponent[]> {
    return ids.flatMap((id) => {
      const component = this.components.get(id);
      return component ? [copy(component)] : [];
    });
  }

  async getMembers(containerId: string): Promise<StoredComponent[]> {
    const ids = [...(this.members.get(containerId) ?? [])];
    return ids
      .map((id) => copy(this.components.get(id)!))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async addComponentLocations(records: ComponentLocationRecord[]): Promise<{ conflicts: string[] }> {
    const seen = new Set<string>();
    // Each conflicting component once, in batch order.
    const conflicts = new Set<string>();
    for (const record of records) {
      const key = `${record.componentId}\u0000${record.locationId}`;
      if (this.locations.get(record.componentId)?.has(record.locationId) || seen.has(key)) {
        conflicts.add(record.componentId);
      }
      seen.add(key);
    }
    if (conflicts.size > 0) return { conflicts: [...conflicts] };
    for (const record of records) {
      let byLocation = this.locations.get(record.componentId);
      if (!byLocation) this.locations.set(record.componentId, (byLocation = new Map()));
      byLocation.set(record.locationId, {
        resourceIdentifier: record.resourceIdentifier,
        ...(record.checksums ? { checksums: { ...record.checksums } } : {}),
      });
    }
    return { conflicts: [] };
  }

  async removeComponentLocations(locationId: string, componentIds: string[]): Promise<void> {
    for (const id of componentIds) this.locations.get(id)?.delete(locationId);
  }

  async getComponentLocations(
    componentIds: string[],
    locationIds?: string[],
  ): Promise<ComponentLocationRecord[]> {
    const wanted = locationIds && new Set(locationIds);
    const result: ComponentLocationRecord[] = [];
    for (const componentId of componentIds) {
      for (const [locationId, stored] of this.locations.get(componentId) ?? []) {
        if (!wanted || wanted.has(locationId))
          result.push({
            componentId,
            locationId,
            resourceIdentifier: stored.resourceIdentifier,
            ...(stored.checksums ? { checksums: { ...stored.checksums } } : {}),
          });
      }
    }
    return result;
  }

  async listComponentIds(locationId: string): Promise<string[]> {
    const ids: string[] = [];
    for (const [componentId, byLocation] of this.locations)
      if (byLocation.has(locationId)) ids.push(componentId);
    return ids;
  }

  async getAvailabilities(componentIds: string[], locationIds: string[]): Promise<AvailabilityMap> {
    const result: AvailabilityMap = {};
    for (const componentId of componentIds) {
      const availability: Record<string, number> = {};
      for (const locationId of locationIds)
        availability[locationId] = roundAvailability(this.availability(componentId, locationId, componentId));
      result[componentId] = availability;
    }
    return result;
  }

  /** A component met again inside itself (a malformed cycle) counts as 0 there. */
  private availability(componentId: string, locationId: string, rootId: string): number {
    const members = this.members.get(componentId);
    if (!members || members.size === 0) return this.locations.get(componentId)?.has(locationId) ? 100 : 0;
    let total = 0;
    for (const memberId of members)
      if (memberId !== rootId) total += this.availability(memberId, locationId, rootId);
    return total / members.size;
  }

  async close(): Promise<void> {}
}

/** A record the caller cannot change through shared objects; absent links read back as null. */
function copy(component: StoredComponent): StoredComponent {
  return {
    ...component,
    containerId: component.containerId ?? null,
    version: component.version ? { ...component.version, ancestors: [...component.version.ancestors] } : null,
  };
}
