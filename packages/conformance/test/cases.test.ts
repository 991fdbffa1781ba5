import { defineCapabilities, MemoryAccessor, NO_CAPABILITIES } from '@stowage/core';
import { describe, expect, it } from 'vitest';
import { ALL_CASES, listConformanceCases, rejectsWith, sha256, testBytes } from '../src/index.js';

describe('case selection', () => {
  it('case names are unique', () => {
    const names = ALL_CASES.map((testCase) => testCase.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('capabilities gate cases: nothing that needs a capability runs without it', () => {
    const none = listConformanceCases(NO_CAPABILITIES);
    expect(none.some((name) => name.startsWith('write and read back'))).toBe(false);
    expect(none.some((name) => name.startsWith('rejects resource identifier'))).toBe(false);
    const readWrite = listConformanceCases(defineCapabilities({ read: true, write: true }));
    expect(readWrite).toContain('write and read back 3 MiB + 17 (multi-chunk)');
    expect(readWrite).not.toContain('an aborted write leaves nothing at the target');
    expect(
      listConformanceCases(defineCapabilities({ read: true, write: true, atomicWrite: true })),
    ).toContain('an aborted write leaves nothing at the target');
  });

  it('symlink cases need a filesystem root', () => {
    const capabilities = new MemoryAccessor().capabilities;
    const symlinks = { ...capabilities, symlinks: true };
    expect(listConformanceCases(symlinks).filter((name) => name.includes('symlink'))).toEqual([]);
    expect(
      listConformanceCases(symlinks, { filesystemRoot: '/tmp' }).filter((name) => name.includes('symlink')),
    ).toHaveLength(3);
  });
  it('openRead cases need an accessor with openRead', () => {
    const capabilities = new MemoryAccessor().capabilities;
    const openReadCases = (names: string[]) => names.filter((name) => name.startsWith('openRead'));
    expect(openReadCases(listConformanceCases(capabilities))).toEqual([]);
    expect(openReadCases(listConformanceCases(capabilities, { openRead: true }))).toHaveLength(3);
  });
});

describe('helpers', () => {
  it('testBytes is deterministic and varies with the seed', () => {
    expect(sha256(testBytes(10_000, 'a'))).toBe(sha256(testBytes(10_000, 'a')));
    expect(sha256(testBytes(10_000, 'a'))).not.toBe(sha256(testBytes(10_000, 'b')));
    expect(testBytes(5).length).toBe(5);
  });

  it('rejectsWith checks the error class', async () => {
    await expect(rejectsWith(Promise.resolve(1), TypeError)).rejects.toThrow(/succeeded/);
    await expect(rejectsWith(Promise.reject(new RangeError('x')), TypeError)).rejects.toThrow(
      /Expected TypeError/,
    );
    expect(await rejectsWith(Promise.reject(new TypeError('y')), TypeError)).toBeInstanceOf(TypeError);
  });
});
