import type { Accessor, AccessorCapabilities } from '@stowage/core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { containerCases } from './cases/containers.js';
import { ioCases } from './cases/io.js';
import { memoryCases } from './cases/memory.js';
import { readStatCases } from './cases/read-stat.js';
import { type ConformanceCase, makeContext, type RequireOptions, randomName } from './context.js';

export interface ConformanceOptions {
  /** A fresh accessor whose root the suite may use (it works in a random sub-folder and removes it). */
  create: () => Accessor | Promise<Accessor>;
  /** Override the accessor's own capabilities (to narrow what is tested; say why in your test). */
  capabilities?: Partial<AccessorCapabilities>;
  /** The local folder that backs the accessor root, for symlink-escape cases. */
  filesystemRoot?: string;
  /** Multiply every case's timeout (slow backends). */
  timeoutMultiplier?: number;
  /**
   * Buffer bytes a streamed write or read may hold at once (default 80 MiB).
   * Raise it with the accessor's part size x parallel parts; it must stay
   * well under the 192 MiB the memory case moves. null: the accessor keeps
   * its data in this process (an in-memory store), so the case does not apply.
   */
  memoryBudget?: number | null;
}

export const ALL_CASES: ConformanceCase[] = [...ioCases, ...readStatCases, ...containerCases, ...memoryCases];

/** The cases these capabilities enable, by name (a case a capability excludes is not registered at all). */
export function listConformanceCases(
  capabilities: AccessorCapabilities,
  options: RequireOptions = {},
): string[] {
  return ALL_CASES.filter((testCase) => testCase.requires?.(capabilities, options) ?? true).map(
    (testCase) => testCase.name,
  );
}

/**
 * Register the conformance suite for an accessor: one vitest `describe` with
 * every case its capabilities allow, each in its own empty folder.
 */
export function describeAccessorConformance(name: string, options: ConformanceOptions): void {
  // The factory is async: vitest awaits it, so the accessor (and its real
  // capabilities) exist before cases are registered. A create() that fails
  // fails the file: never a skip.
  describe(`accessor conformance: ${name}`, async () => {
    const accessor = await options.create();
    const capabilities: AccessorCapabilities = { ...accessor.capabilities, ...options.capabilities };
    // What a case may require besides capabilities: the optional openRead is there or not.
    const requireOptions: RequireOptions = {
      filesystemRoot: options.filesystemRoot,
      openRead: typeof accessor.openRead === 'function',
      memoryBudget: options.memoryBudget,
    };
    const suiteRoot = randomName('conformance-');
    const timeout = 60_000 * (options.timeoutMultiplier ?? 1);

    beforeAll(async () => {
      await accessor.makeContainer(suiteRoot, true);
    }, timeout);

    afterAll(async () => {
      try {
        if (capabilities.removeContainer) await accessor.removeContainer(suiteRoot, { recursive: true });
      } finally {
        await accessor.close();
      }
    }, timeout);

    for (const testCase of ALL_CASES) {
      if (!(testCase.requires?.(capabilities, requireOptions) ?? true)) continue;
      it(
        testCase.name,
        async () => {
          const dir = `${suiteRoot}/${randomName()}`;
          await accessor.makeContainer(dir, true);
          await testCase.run(
            makeContext(accessor, capabilities, suiteRoot, dir, options.filesystemRoot, options.memoryBudget),
          );
        },
        timeout,
      );
    }
  });
}
