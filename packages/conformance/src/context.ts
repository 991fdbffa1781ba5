import { createHash, randomBytes } from 'node:crypto';
import {
  type Accessor,
  type AccessorCapabilities,
  readAll,
  type WriteOptions,
  type WriteSource,
} from '@stowage/core';

/** What every conformance case gets: the accessor, its capabilities and a private folder. */
export interface CaseContext {
  accessor: Accessor;
  capabilities: AccessorCapabilities;
  /** This case's own container under the suite root (exists, empty). */
  dir: string;
  /** Local folder backing the accessor root, when the test can give one (symlink cases). */
  filesystemRoot: string | undefined;
  /** Identifier of the suite root relative to the accessor root. */
  suiteRoot: string;
  /** Buffer bytes a streamed transfer may hold at once (ConformanceOptions.memoryBudget). */
  memoryBudget: number;
  path(...parts: string[]): string;
  write(resourceIdentifier: string, data: WriteSource, options?: WriteOptions): Promise<void>;
  read(resourceIdentifier: string, options?: { start?: number; end?: number }): Promise<Buffer>;
}

/** What a case may require besides capabilities. */
export interface RequireOptions {
  filesystemRoot?: string | undefined;
  /** The optional openRead is there. */
  openRead?: boolean | undefined;
  /** null: the accessor keeps its data in this process, so the memory case does not apply. */
  memoryBudget?: number | null | undefined;
}

export interface ConformanceCase {
  name: string;
  /** Registered only when this returns true (never a skip). */
  requires?: (capabilities: AccessorCapabilities, options: RequireOptions) => boolean;
  run(context: CaseContext): Promise<void>;
}

/**
 * What a streamed transfer may hold by default. The S3 and Azure defaults
 * hold (4 + 1) x 8 MiB parts, and at times one more whose request is still
 * finishing: 33-52 MiB measured. A transfer that keeps the file holds at
 * least 96 MiB halfway through the memory case's 192 MiB.
 */
export const DEFAULT_MEMORY_BUDGET = 80 * 1024 * 1024;

export function makeContext(
  accessor: Accessor,
  capabilities: AccessorCapabilities,
  suiteRoot: string,
  dir: string,
  filesystemRoot: string | undefined,
  memoryBudget: number | null = DEFAULT_MEMORY_BUDGET,
): CaseContext {
  return {
    accessor,
    capabilities,
    dir,
    suiteRoot,
    filesystemRoot,
    memoryBudget: memoryBudget ?? Number.POSITIVE_INFINITY,
    path: (...parts) => [dir, ...parts].filter(Boolean).join('/'),
    write: async (resourceIdentifier, data, options) => {
      await accessor.write(resourceIdentifier, data, options);
    },
    read: async (resourceIdentifier, options = {}) =>
      readAll(await accessor.createReadStream(resourceIdentifier, options)),
  };
}

/** Deterministic pseudo-random bytes (fast: repeated sha256 blocks). */
export function testBytes(size: number, seed = 'stowage'): Buffer {
  const out = Buffer.alloc(size);
  const block = createHash('sha256').update(seed).digest();
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i += block.length) block.copy(chunk, i);
  for (let offset = 0; offset < size; offset += chunk.length)
    chunk.copy(out, offset, 0, Math.min(chunk.length, size - offset));
  // Vary the bytes so misplaced chunks are caught.
  for (let offset = 0; offset + 4 <= size; offset += 4096) out.writeUInt32LE(offset >>> 0, offset);
  return out;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

export function randomName(prefix = 'c'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** Expect `promise` to reject with an instance of `type`; returns the error. */
export async function rejectsWith<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof type)) {
      throw new Error(`Expected ${type.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`, {
        cause: error,
      });
    }
    return error;
  }
  throw new Error(`Expected ${type.name}, but the operation succeeded.`);
}
