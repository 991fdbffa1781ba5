import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { Accessor, GetUrlOptions } from './accessor.js';
import { type CheckpointStore, lockKeys } from './checkpoint.js';
import type { Component } from './component.js';
import { flattenComponents } from './component.js';
import {
  AccessorResourceExistsError,
  AccessorResourceNotFoundError,
  ComponentInLocationError,
  ComponentNotInLocationError,
  LocationError,
  OperationAbortedError,
  StowageError,
} from './errors.js';
import { EVENT_COMPONENT_ADDED, EVENT_COMPONENT_REMOVED, type EventHub } from './events.js';
import type { ComponentLocationRecord, Registry } from './registry.js';
import { toStoredComponent } from './registry.js';
import { parentResourceIdentifierOf } from './resource-identifier.js';
import type { Checksums } from './streams.js';
import type { ResourceIdentifierTransformer, Structure } from './structure.js';
import { type FileTransferOptions, transferFile } from './transfer.js';

export interface LocationOptions {
  /** Stable id; defaults to the name (names are unique in a session). */
  id?: string;
  name: string;
  description?: string;
  /** Lower number wins in pickLocation (ftrack: a new location is 95). */
  priority?: number;
  accessor?: Accessor;
  structure?: Structure;
  transformer?: ResourceIdentifierTransformer;
  /** Where registrations live; defaults to the session's registry. */
  registry?: Registry;
  /** Checkpoints of resumable uploads; defaults to the session's (false: never resume). */
  checkpoints?: CheckpointStore | false;
}

/** What a location needs from its session. */
export interface LocationHost {
  readonly registry: Registry;
  readonly eventHub: EventHub;
  /** Checkpoints of resumable uploads (false: never resume). */
  readonly checkpoints?: CheckpointStore | false;
}

export interface TransferProgress {
  bytesDone: number;
  bytesTotal: number;
  componentsDone: number;
  componentsTotal: number;
}

export interface AddComponentsOptions
  extends Pick<FileTransferOptions, 'fastPaths' | 'verify' | 'retries' | 'checksums' | 'multiStream'> {
  /** Add members of sequences and containers too (default true). */
  recursive?: boolean;
  /** Files transferred at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: TransferProgress) => void;
  /** Remove the files this call wrote when it fails (default true), so a retry is not blocked. */
  rollbackOnFailure?: boolean;
  /** Resume interrupted large uploads from the location's checkpoints (default true). */
  resume?: boolean;
}

export interface VerifyOptions {
  /** Also stat each present file and compare its size with the registered one. */
  sizes?: boolean;
  /**
   * Also re-read each present file and compare its MD5 with the one computed
   * while it was written (reads every byte: slow, thorough). Files registered
   * without a checksum are counted in `unchecksummed`.
   */
  checksums?: boolean;
  /** Files read at once for `checksums` (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface VerifyResult {
  componentId: string;
  locationId: string;
  /** Registered files looked for. */
  checked: number;
  /** Files of the component not registered in this location (not looked for). */
  unregistered: Component[];
  /** Registered but absent from storage. */
  missing: Component[];
  sizeMismatches: Array<{ component: Component; expected: number; actual: number }>;
  /** With `checksums`: present files whose bytes no longer hash to the registered MD5. */
  checksumMismatches: Array<{ component: Component; expected: string; actual: string }>;
  /** With `checksums`: present files registered without a checksum (not compared). */
  unchecksummed: Component[];
  ok: boolean;
}

export interface RemoveComponentsOptions {
  recursive?: boolean;
}

/** A source for addComponents: a location, or (unmanaged targets only) a resource identifier. */
export type ComponentSource = Location | string;

/** One component's way into this location. */
interface Step {
  component: Component;
  source: ComponentSource;
  sourceResourceIdentifier: string;
  targetResourceIdentifier: string;
}

/**
 * Raised when data could not be added: nothing was registered. `transferred`
 * lists the components whose bytes had been written (and rolled back unless
 * `rollbackOnFailure: false`).
 */
export class ComponentTransferError extends LocationError {
  readonly transferred: string[];
  readonly errors: Array<{ componentId: string; error: unknown }>;
  constructor(
    message: string,
    transferred: string[],
    errors: Array<{ componentId: string; error: unknown }>,
    rolledBack: boolean,
  ) {
    super(message, {
      cause: errors[0]?.error,
      details: { transferred, failed: errors.map((entry) => entry.componentId), rolledBack },
      transient: errors.every((entry) => entry.error instanceof StowageError && entry.error.transient),
    });
    this.transferred = transferred;
    this.errors = errors;
  }
}

/**
 * Named storage (ftrack's Location): an accessor reaches the bytes, a
 * structure decides where each component goes, a transformer encodes resource
 * identifiers for the registry.
 */
export class Location {
  id: string;
  name: string;
  description: string;
  priority: number;
  accessor: Accessor | undefined;
  structure: Structure | undefined;
  transformer: ResourceIdentifierTransformer | undefined;
  /** Whether adding and removing moves data (false for unmanaged locations). */
  readonly manageData: boolean = true;
  protected host: LocationHost | undefined;
  private readonly ownRegistry: Registry | undefined;
  private readonly ownCheckpoints: CheckpointStore | false | undefined;

  constructor(options: LocationOptions, host?: LocationHost) {
    this.id = options.id ?? options.name;
    this.name = options.name;
    this.description = options.description ?? '';
    this.priority = options.priority ?? 95;
    this.accessor = options.accessor;
    this.structure = options.structure;
    this.transformer = options.transformer;
    this.ownRegistry = options.registry;
    this.ownCheckpoints = options.checkpoints;
    this.host = host;
  }

  /** Attach to a session (done by Session.createLocation). */
  attach(host: LocationHost): void {
    this.host = host;
  }

  /** Where this location's resumable uploads keep their progress, or undefined: no resume. */
  get checkpoints(): CheckpointStore | undefined {
    const store = this.ownCheckpoints ?? this.host?.checkpoints;
    return store || undefined;
  }

  get registry(): Registry {
    const registry = this.ownRegistry ?? this.host?.registry;
    if (!registry)
      throw new LocationError(`Location "${this.name}" has no registry: create it through a Session.`);
    return registry;
  }

  async addComponent(
    component: Component,
    source: ComponentSource,
    options: AddComponentsOptions = {},
  ): Promise<void> {
    await this.addComponents([component], source, options);
  }

  /**
   * Add components from `sources` (one, or one per component), ftrack's order:
   * no structure -> LocationError; any component (or member) already here ->
   * ComponentInLocationError before any transfer; then the data, members in
   * parallel; then one batched registration and one event per component.
   */
  async addComponents(
    components: Component[],
    sources: ComponentSource | ComponentSource[],
    options: AddComponentsOptions = {},
  ): Promise<void> {
    const sourceList = Array.isArray(sources) ? sources : components.map(() => sources);
    if (sourceList.length !== components.length) {
      throw new LocationError('Number of sources does not match number of components.', {
        details: { components: components.length, sources: sourceList.length },
      });
    }
    if (!this.structure) throw new LocationError(`No structure defined for location "${this.name}".`);
    if (this.manageData && !this.accessor)
      throw new LocationError(`No accessor defined for location "${this.name}".`);

    const recursive = (options.recursive ?? true) && sourceList.every((source) => typeof source !== 'string');
    const entries: Array<{ component: Component; source: ComponentSource }> = [];
    components.forEach((component, index) => {
      const source = sourceList[index]!;
      const all = recursive ? flattenComponents([component]) : [component];
      for (const item of all) entries.push({ component: item, source });
    });

    const release = await this.lockAdds(components);
    try {
      const present = await this.registry.getComponentLocations(
        entries.map((entry) => entry.component.id),
        [this.id],
      );
      if (present.length > 0) {
        const ids = new Set(present.map((record) => record.componentId));
        throw new ComponentInLocationError(
          entries.filter((entry) => ids.has(entry.component.id)).map((entry) => entry.component),
          this,
        );
      }

      const steps = await this.planSteps(entries);
      // What each written file hashed to while it was written, for `verify --checksums` later.
      const checksums = new Map<string, Checksums>();
      const written = this.manageData ? await this.addData(steps, options, checksums) : [];

      const records: ComponentLocationRecord[] = [];
      for (const step of steps) {
        const encoded = this.transformer
          ? await this.transformer.encode(step.targetResourceIdentifier, { component: step.component })
          : step.targetResourceIdentifier;
        const stepChecksums = checksums.get(step.targetResourceIdentifier);
        records.push({
          componentId: step.component.id,
          locationId: this.id,
          resourceIdentifier: encoded,
          ...(stepChecksums ? { checksums: stepChecksums } : {}),
        });
      }
      await this.registry.putComponents(steps.map((step) => toStoredComponent(step.component)));
      const { conflicts } = await this.registry.addComponentLocations(records);
      if (conflicts.length > 0) {
        // Another process registered first: our bytes are not the registered ones.
        await this.rollback(written);
        const ids = new Set(conflicts);
        throw new ComponentInLocationError(
          steps.filter((step) => ids.has(step.component.id)).map((step) => step.component),
          this,
        );
      }
      for (const step of steps) {
        await this.host?.eventHub.publish(EVENT_COMPONENT_ADDED, {
          componentId: step.component.id,
          locationId: this.id,
        });
      }
    } finally {
      await release();
    }
  }

  /**
   * This machine's lock on adding each component here (in the checkpoint
   * store's folder), held until it is registered: of several processes adding
   * the same component at once, one transfers it and the others are refused
   * at once. Without it each may win some frames of a sequence (every write
   * is create-only), and all of them then fail and roll back. Without a
   * store, or where a lock cannot be taken (another machine, an unwritable
   * folder), the registry's atomic registration still lets at most one win.
   * A location that moves no data (the origin) takes none: registering is
   * all it does, and that is atomic (10,000 locks took 4 s there).
   */
  private async lockAdds(components: Component[]): Promise<() => Promise<void>> {
    const none = async () => {};
    const store = this.checkpoints;
    if (!store || !this.manageData) return none;
    const keys = components.map((component) => `add\0${this.id}\0${component.id}`);
    // A store that cannot lock (an unwritable folder) leaves it to the registry.
    const locks = await lockKeys(store, keys).catch(() => undefined);
    if (!locks) return none;
    const refused = locks.held.indexOf(false);
    if (refused >= 0) {
      await locks.release();
      throw alreadyBeingAdded(components[refused]!, this.name);
    }
    return () => locks.release().catch(() => {});
  }

  /** Resource identifiers in each source and in this location, members first. */
  private async planSteps(
    entries: Array<{ component: Component; source: ComponentSource }>,
  ): Promise<Step[]> {
    const bySource = new Map<Location, Component[]>();
    for (const { component, source } of entries) {
      if (typeof source === 'string') continue;
      let list = bySource.get(source);
      if (!list) bySource.set(source, (list = []));
      list.push(component);
    }
    const sourceIdentifiers = new Map<Location, Map<string, string>>();
    for (const [source, list] of bySource)
      sourceIdentifiers.set(source, await source.getResourceIdentifierMap(list));

    const steps: Step[] = [];
    for (const { component, source } of entries) {
      const sourceResourceIdentifier =
        typeof source === 'string' ? source : sourceIdentifiers.get(source)!.get(component.id)!;
      const targetResourceIdentifier = await this.structure!.getResourceIdentifier(component, {
        sourceResourceIdentifier,
      });
      steps.push({ component, source, sourceResourceIdentifier, targetResourceIdentifier });
    }
    return steps;
  }

  /** Move the bytes; returns the resource identifiers of files written. */
  private async addData(
    steps: Step[],
    options: AddComponentsOptions,
    checksums: Map<string, Checksums>,
  ): Promise<string[]> {
    const target = this.accessor!;
    const controller = new AbortController();
    // Every concurrent stream listens on it: more than Node's default 10.
    setMaxListeners(0, controller.signal);
    const onAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const files = steps.filter((step) => step.component.kind === 'file');
    const progress: TransferProgress = {
      bytesDone: 0,
      bytesTotal: files.reduce((total, step) => total + (step.component.size ?? 0), 0),
      componentsDone: 0,
      componentsTotal: steps.length,
    };
    const report = () => options.onProgress?.({ ...progress });
    const written: string[] = [];
    // Identical targets adopted after a lost reply: registered on success, never rolled back.
    const adopted: string[] = [];
    const errors: Array<{ componentId: string; error: unknown }> = [];
    const madeContainers = new Map<string, Promise<void>>();
    const ensureContainer = (resourceIdentifier: string): Promise<void> => {
      let made = madeContainers.get(resourceIdentifier);
      if (!made) {
        made = target.makeContainer(resourceIdentifier, true);
        madeContainers.set(resourceIdentifier, made);
      }
      return made;
    };

    try {
      // Containers first, so members can be written inside them.
      for (const step of steps) {
        if (step.component.kind !== 'container') continue;
        await ensureContainer(step.targetResourceIdentifier);
        progress.componentsDone++;
      }
      const checkpoints = options.resume === false ? undefined : this.checkpoints;
      const limit = pLimit(Math.max(1, options.concurrency ?? 4));
      await Promise.all(
        files.map((step) =>
          limit(async () => {
            if (controller.signal.aborted) return;
            const source = step.source as Location;
            if (!source.accessor)
              throw new LocationError(`No accessor defined for source location "${source.name}".`);
            let counted = 0;
            try {
              const parent = parentResourceIdentifierOf(step.targetResourceIdentifier);
              if (parent !== undefined && parent !== '') await ensureContainer(parent);
              const result = await transferFile(
                source.accessor,
                step.sourceResourceIdentifier,
                target,
                step.targetResourceIdentifier,
                {
                  overwrite: false,
                  signal: controller.signal,
                  ...(options.fastPaths !== undefined ? { fastPaths: options.fastPaths } : {}),
                  ...(options.verify !== undefined ? { verify: options.verify } : {}),
                  ...(options.retries !== undefined ? { retries: options.retries } : {}),
                  ...(options.checksums !== undefined ? { checksums: options.checksums } : {}),
                  ...(options.multiStream !== undefined ? { multiStream: options.multiStream } : {}),
                  ...(checkpoints
                    ? {
                        checkpoints: {
                          store: checkpoints,
                          key: `${this.id}\0${step.targetResourceIdentifier}`,
                        },
                      }
                    : {}),
                  onProgress: (bytes) => {
                    progress.bytesDone += bytes - counted;
                    counted = bytes;
                    report();
                  },
                },
              );
              if (result.checksums.md5) checksums.set(step.targetResourceIdentifier, result.checksums);
              if (result.adopted) adopted.push(step.targetResourceIdentifier);
              else written.push(step.targetResourceIdentifier);
              progress.componentsDone++;
              report();
            } catch (error) {
              progress.bytesDone -= counted;
              errors.push({ componentId: step.component.id, error: this.explain(error, step) });
              controller.abort();
            }
          }),
        ),
      );
      progress.componentsDone += steps.filter((step) => step.component.kind === 'sequence').length;
      if (errors.length === 0 && options.signal?.aborted) {
        errors.push({ componentId: '', error: new OperationAbortedError() });
      }
    } catch (error) {
      errors.push({ componentId: '', error });
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }

    if (errors.length > 0) {
      const rollback = options.rollbackOnFailure ?? true;
      if (rollback) await this.rollback(written);
      const writtenSet = new Set(written);
      const transferred = steps
        .filter((step) => writtenSet.has(step.targetResourceIdentifier))
        .map((step) => step.component.id);
      if (options.signal?.aborted) {
        throw new OperationAbortedError(
          `Adding components to "${this.name}" was aborted; nothing was registered.`,
          {
            details: { transferred, rolledBack: rollback },
          },
        );
      }
      const first = errors[0]!.error;
      if (errors.length === 1 && first instanceof LocationError) throw first;
      const reason = first instanceof Error ? first.message : String(first);
      throw new ComponentTransferError(
        `Could not add ${errors.length} component(s) to "${this.name}"; nothing was registered: ${reason}`,
        transferred,
        errors,
        rollback,
      );
    }
    report();
    return written;
  }

  private explain(error: unknown, step: Step): unknown {
    if (error instanceof AccessorResourceExistsError) {
      return new LocationError(
        `Cannot add component as data already exists and overwriting could result in data loss. Computed target resource identifier was: ${step.targetResourceIdentifier}`,
        {
          cause: error,
          details: { componentId: step.component.id, resourceIdentifier: step.targetResourceIdentifier },
        },
      );
    }
    return error;
  }

  private async rollback(written: string[]): Promise<void> {
    if (!this.accessor) return;
    const accessor = this.accessor;
    await Promise.all(
      written.map((resourceIdentifier) => accessor.remove(resourceIdentifier).catch(() => {})),
    );
  }

  async removeComponent(component: Component, options: RemoveComponentsOptions = {}): Promise<void> {
    await this.removeComponents([component], options);
  }

  /**
   * Remove components (members first) and their registrations. A missing
   * resource is ignored only for sequences, as ftrack.
   */
  async removeComponents(components: Component[], options: RemoveComponentsOptions = {}): Promise<void> {
    const recursive = options.recursive ?? true;
    const top = await this.registry.getComponentLocations(
      components.map((component) => component.id),
      [this.id],
    );
    const presentTop = new Set(top.map((record) => record.componentId));
    const missing = components.filter((component) => !presentTop.has(component.id));
    if (missing.length > 0) throw new ComponentNotInLocationError(missing, this);

    const all = recursive ? flattenComponents(components) : components;
    const identifiers = await this.getResourceIdentifierMap(all, { allowMissing: true });
    const removed: Component[] = [];
    for (const component of all) {
      const resourceIdentifier = identifiers.get(component.id);
      if (resourceIdentifier === undefined) continue;
      if (this.manageData && this.accessor) {
        try {
          if (component.kind === 'file') await this.accessor.remove(resourceIdentifier);
          else if (component.kind === 'container') await this.accessor.removeContainer(resourceIdentifier);
        } catch (error) {
          if (!(error instanceof AccessorResourceNotFoundError && component.kind !== 'file')) throw error;
        }
      }
      removed.push(component);
    }
    await this.registry.removeComponentLocations(
      this.id,
      removed.map((component) => component.id),
    );
    for (const component of removed) {
      await this.host?.eventHub.publish(EVENT_COMPONENT_REMOVED, {
        componentId: component.id,
        locationId: this.id,
      });
    }
  }

  /** The resource identifier of a component here (decoded); ComponentNotInLocationError if absent. */
  async getResourceIdentifier(component: Component | { id: string }): Promise<string> {
    const map = await this.getResourceIdentifierMap([component]);
    return map.get(component.id)!;
  }

  async getResourceIdentifiers(components: Array<Component | { id: string }>): Promise<string[]> {
    const map = await this.getResourceIdentifierMap(components);
    return components.map((component) => map.get(component.id)!);
  }

  /** Decoded resource identifiers by component id, in one registry query. */
  async getResourceIdentifierMap(
    components: Array<Component | { id: string }>,
    options: { allowMissing?: boolean } = {},
  ): Promise<Map<string, string>> {
    const records = await this.registry.getComponentLocations(
      components.map((component) => component.id),
      [this.id],
    );
    const map = new Map<string, string>();
    // A map, not find(): a 10,000-file container would otherwise cost 50M comparisons.
    const byId = new Map(components.map((component) => [component.id, component]));
    for (const record of records) {
      const component = byId.get(record.componentId);
      const decoded = this.transformer
        ? await this.transformer.decode(
            record.resourceIdentifier,
            component && 'kind' in component ? { component } : {},
          )
        : record.resourceIdentifier;
      map.set(record.componentId, decoded);
    }
    if (!options.allowMissing) {
      const missing = components.filter((component) => !map.has(component.id));
      if (missing.length > 0) throw new ComponentNotInLocationError(missing, this);
    }
    return map;
  }

  /**
   * Re-read storage for a component's registered files: one listing per
   * container (not one stat per frame) finds missing files; `sizes: true` also
   * stats each present file and reports size mismatches (corruption).
   */
  async verifyComponent(component: Component, options: VerifyOptions = {}): Promise<VerifyResult> {
    if (!this.accessor) throw new LocationError(`No accessor defined for location "${this.name}".`);
    const accessor = this.accessor;
    const files = flattenComponents([component]).filter((item) => item.kind === 'file');
    const identifiers = await this.getResourceIdentifierMap(files, { allowMissing: true });
    const registered = files.filter((file) => identifiers.has(file.id));
    const byContainer = new Map<string, Component[]>();
    for (const file of registered) {
      const container = await accessor.getContainer(identifiers.get(file.id)!);
      let list = byContainer.get(container);
      if (!list) byContainer.set(container, (list = []));
      list.push(file);
    }
    const missing: Component[] = [];
    const sizeMismatches: VerifyResult['sizeMismatches'] = [];
    const unsized: Component[] = [];
    for (const [container, list] of byContainer) {
      options.signal?.throwIfAborted();
      // One listing per container; with listStats it carries the sizes too.
      const entries = accessor.listStats
        ? await accessor.listStats(container).catch(() => [])
        : (await accessor.list(container).catch(() => [] as string[])).map((resourceIdentifier) => ({
            resourceIdentifier,
            size: undefined as number | undefined,
          }));
      const sizes = new Map(entries.map((entry) => [entry.resourceIdentifier, entry.size]));
      for (const file of list) {
        const resourceIdentifier = identifiers.get(file.id)!;
        if (!sizes.has(resourceIdentifier)) missing.push(file);
        else if (options.sizes) {
          const size = sizes.get(resourceIdentifier);
          if (size === undefined) unsized.push(file);
          else if (size !== file.size)
            sizeMismatches.push({ component: file, expected: file.size, actual: size });
        }
      }
    }
    if (unsized.length > 0) {
      // Accessors without listStats: a stat per file, bounded.
      const limit = pLimit(8);
      await Promise.all(
        unsized.map((file) =>
          limit(async () => {
            options.signal?.throwIfAborted();
            const { size } = await accessor.stat(identifiers.get(file.id)!);
            if (size !== file.size)
              sizeMismatches.push({ component: file, expected: file.size, actual: size });
          }),
        ),
      );
    }
    const checksumMismatches: VerifyResult['checksumMismatches'] = [];
    const unchecksummed: Component[] = [];
    if (options.checksums) {
      const records = await this.registry.getComponentLocations(
        registered.map((file) => file.id),
        [this.id],
      );
      const expected = new Map(records.map((record) => [record.componentId, record.checksums?.md5]));
      const absent = new Set(missing);
      const limit = pLimit(Math.max(1, options.concurrency ?? 4));
      await Promise.all(
        registered
          .filter((file) => !absent.has(file))
          .map((file) =>
            limit(async () => {
              const md5 = expected.get(file.id);
              if (!md5) {
                unchecksummed.push(file);
                return;
              }
              options.signal?.throwIfAborted();
              const hash = createHash('md5');
              const stream = await accessor.createReadStream(
                identifiers.get(file.id)!,
                options.signal ? { signal: options.signal } : {},
              );
              for await (const chunk of stream) hash.update(chunk as Buffer);
              const actual = hash.digest('hex');
              if (actual !== md5) checksumMismatches.push({ component: file, expected: md5, actual });
            }),
          ),
      );
    }
    return {
      componentId: component.id,
      locationId: this.id,
      checked: registered.length,
      unregistered: files.filter((file) => !identifiers.has(file.id)),
      missing,
      sizeMismatches,
      checksumMismatches,
      unchecksummed,
      ok: missing.length === 0 && sizeMismatches.length === 0 && checksumMismatches.length === 0,
    };
  }

  /** Percentage of the component available here (0-100). */
  async getComponentAvailability(component: { id: string }): Promise<number> {
    return (await this.getComponentAvailabilities([component]))[0]!;
  }

  async getComponentAvailabilities(components: Array<{ id: string }>): Promise<number[]> {
    const map = await this.registry.getAvailabilities(
      components.map((component) => component.id),
      [this.id],
    );
    return components.map((component) => map[component.id]?.[this.id] ?? 0);
  }

  async getFilesystemPath(component: Component | { id: string }): Promise<string> {
    if (!this.accessor) throw new LocationError(`No accessor defined for location "${this.name}".`);
    return this.accessor.getFilesystemPath(await this.getResourceIdentifier(component));
  }

  async getUrl(component: Component | { id: string }, options?: GetUrlOptions): Promise<string> {
    if (!this.accessor) throw new LocationError(`No accessor defined for location "${this.name}".`);
    return this.accessor.getUrl(await this.getResourceIdentifier(component), options);
  }
}

/** Registers components without moving data (ftrack's UnmanagedLocationMixin). */
export class UnmanagedLocation extends Location {
  override readonly manageData = false;
}

function alreadyBeingAdded(component: Component, location: string): LocationError {
  return new LocationError(
    `Component ${component.id} is already being added to location "${location}" by another process.`,
    { details: { componentId: component.id, location } },
  );
}
