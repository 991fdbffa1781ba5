import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ListEntry, ReadStreamOptions, ResourceStat, WriteOptions, WriteResult } from './accessor.js';
import { BaseAccessor } from './accessor.js';
import { defineCapabilities } from './capabilities.js';
import {
  AccessorContainerNotEmptyError,
  AccessorParentResourceNotFoundError,
  AccessorResourceExistsError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  OperationAbortedError,
} from './errors.js';
import {
  assertIntegrity,
  MeasuringStream,
  requestedAlgorithms,
  toReadable,
  type WriteSource,
} from './streams.js';

interface MemoryFile {
  data: Buffer;
  modified: Date;
}

/**
 * Keeps resources in process memory: for tests, demos and the memory location.
 * Containers are real (an empty one exists). Writes are atomic: the buffer is
 * published only after every byte arrived and checked out.
 */
export class MemoryAccessor extends BaseAccessor {
  readonly name = 'memory';
  readonly capabilities = defineCapabilities({
    read: true,
    write: true,
    list: true,
    stat: true,
    rangeRead: true,
    parallelRangeRead: true,
    containers: 'real',
    emptyContainers: true,
    removeContainer: true,
    serverSideCopy: true,
    atomicWrite: true,
    conditionalCreate: true,
    checksums: [],
    sequence: true,
    pathConfinement: true,
    maxNameLength: 1024,
  });

  private readonly files = new Map<string, MemoryFile>();
  private readonly containers = new Set<string>(['']);

  async list(resourceIdentifier: string): Promise<string[]> {
    const key = this.key(resourceIdentifier);
    if (!this.containers.has(key)) {
      if (this.files.has(key))
        throw new AccessorResourceInvalidError({ operation: 'list', resourceIdentifier });
      throw new AccessorResourceNotFoundError({ operation: 'list', resourceIdentifier });
    }
    const prefix = key === '' ? '' : `${key}/`;
    const children: string[] = [];
    for (const name of [...this.containers, ...this.files.keys()]) {
      if (name !== key && name.startsWith(prefix) && !name.slice(prefix.length).includes('/'))
        children.push(name);
    }
    return children.sort();
  }

  async listStats(resourceIdentifier: string): Promise<ListEntry[]> {
    const children = await this.list(resourceIdentifier);
    return children.map((child) => {
      const file = this.files.get(child);
      return { resourceIdentifier: child, size: file?.data.length ?? 0, isContainer: !file };
    });
  }

  async stat(resourceIdentifier: string): Promise<ResourceStat> {
    const key = this.key(resourceIdentifier);
    const file = this.files.get(key);
    if (file) return { size: file.data.length, isContainer: false, modified: file.modified };
    if (this.containers.has(key)) return { size: 0, isContainer: true };
    throw new AccessorResourceNotFoundError({ operation: 'stat', resourceIdentifier });
  }

  async createReadStream(resourceIdentifier: string, options: ReadStreamOptions = {}): Promise<Readable> {
    const key = this.key(resourceIdentifier);
    const file = this.files.get(key);
    if (!file) {
      if (this.containers.has(key))
        throw new AccessorResourceInvalidError({ operation: 'read', resourceIdentifier });
      throw new AccessorResourceNotFoundError({ operation: 'read', resourceIdentifier });
    }
    const start = options.start ?? 0;
    const end = options.end === undefined ? file.data.length : Math.min(options.end + 1, file.data.length);
    const view = file.data.subarray(start, Math.max(start, end));
    const chunkSize = 64 * 1024;
    function* chunks() {
      for (let offset = 0; offset < view.length; offset += chunkSize)
        yield view.subarray(offset, offset + chunkSize);
    }
    const stream = Readable.from(chunks(), { objectMode: false });
    if (options.signal) {
      const signal = options.signal;
      const onAbort = () => stream.destroy(new OperationAbortedError());
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    return stream;
  }

  async write(
    resourceIdentifier: string,
    source: WriteSource,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const key = this.key(resourceIdentifier);
    this.assertWritable(key, resourceIdentifier, options.overwrite ?? true);
    const algorithms = requestedAlgorithms(options);
    const measuring = new MeasuringStream({ algorithms, onProgress: options.onProgress });
    const chunks: Buffer[] = [];
    await pipeline(
      toReadable(source),
      measuring,
      async (stream: AsyncIterable<Buffer>) => {
        for await (const chunk of stream) chunks.push(chunk);
      },
      options.signal ? { signal: options.signal } : {},
    ).catch((error: unknown) => {
      if (options.signal?.aborted) throw new OperationAbortedError(undefined, { cause: error });
      throw error;
    });
    const result = { size: measuring.size, checksums: measuring.digests() };
    assertIntegrity(resourceIdentifier, result, options);
    // Checked again: another writer may have published while we streamed.
    this.assertWritable(key, resourceIdentifier, options.overwrite ?? true);
    this.files.set(key, { data: Buffer.concat(chunks), modified: new Date() });
    return result;
  }

  async remove(resourceIdentifier: string): Promise<void> {
    const key = this.key(resourceIdentifier);
    if (this.containers.has(key))
      throw new AccessorResourceInvalidError({ operation: 'remove', resourceIdentifier });
    if (!this.files.delete(key))
      throw new AccessorResourceNotFoundError({ operation: 'remove', resourceIdentifier });
  }

  async makeContainer(resourceIdentifier: string, recursive = true): Promise<void> {
    const key = this.key(resourceIdentifier);
    if (this.files.has(key))
      throw new AccessorResourceInvalidError({ operation: 'makeContainer', resourceIdentifier });
    if (this.containers.has(key)) return;
    const parent = this.parentKey(key);
    if (!this.containers.has(parent)) {
      if (!recursive)
        throw new AccessorParentResourceNotFoundError({ operation: 'makeContainer', resourceIdentifier });
      await this.makeContainer(parent, true);
    }
    this.containers.add(key);
  }

  async removeContainer(resourceIdentifier: string, options: { recursive?: boolean } = {}): Promise<void> {
    const key = this.key(resourceIdentifier);
    if (this.files.has(key))
      throw new AccessorResourceInvalidError({ operation: 'removeContainer', resourceIdentifier });
    if (!this.containers.has(key))
      throw new AccessorResourceNotFoundError({ operation: 'removeContainer', resourceIdentifier });
    const prefix = key === '' ? '' : `${key}/`;
    const descendants = [...this.containers, ...this.files.keys()].filter(
      (name) => name !== key && name.startsWith(prefix),
    );
    if (descendants.length > 0 && !options.recursive) {
      throw new AccessorContainerNotEmptyError({ operation: 'removeContainer', resourceIdentifier });
    }
    for (const name of descendants) {
      this.files.delete(name);
      this.containers.delete(name);
    }
    if (key !== '') this.containers.delete(key);
  }

  async copy(source: string, target: string, options: { overwrite?: boolean } = {}): Promise<WriteResult> {
    const file = this.files.get(this.key(source));
    if (!file) throw new AccessorResourceNotFoundError({ operation: 'copy', resourceIdentifier: source });
    const key = this.key(target);
    this.assertWritable(key, target, options.overwrite ?? true);
    this.files.set(key, { data: file.data, modified: new Date() });
    return { size: file.data.length, checksums: {} };
  }

  private key(resourceIdentifier: string): string {
    return this.segments(resourceIdentifier).join('/');
  }

  private parentKey(key: string): string {
    const index = key.lastIndexOf('/');
    return index < 0 ? '' : key.slice(0, index);
  }

  private assertWritable(key: string, resourceIdentifier: string, overwrite: boolean): void {
    if (this.containers.has(key))
      throw new AccessorResourceInvalidError({ operation: 'write', resourceIdentifier });
    if (!this.containers.has(this.parentKey(key))) {
      throw new AccessorParentResourceNotFoundError({ operation: 'write', resourceIdentifier });
    }
    if (!overwrite && this.files.has(key)) {
      throw new AccessorResourceExistsError({ operation: 'write', resourceIdentifier });
    }
  }
}
