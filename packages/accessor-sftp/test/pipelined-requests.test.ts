import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessorResourceExistsError, AccessorResourceIdentifierError, readAll } from '@stowage/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SftpAccessor } from '../src/index.js';
import { isolatedAccessor, localNames } from './helpers.js';

// The same ssh2 module instance the accessor uses.
const { SFTP } = createRequire(import.meta.url)('ssh2/lib/protocol/SFTP.js') as {
  SFTP: { prototype: Record<string, (...args: unknown[]) => unknown> };
};

interface Call {
  name: string;
  /** WRITE requests sent and not yet answered when this request was sent. */
  unansweredWrites: number;
  /** hardlink requests sent and not yet answered. */
  unansweredLinks: number;
  /** READ requests sent and not yet answered. */
  unansweredReads: number;
  /** REALPATH requests sent and not yet answered. */
  unansweredRealpaths: number;
}

/** Record the SFTP requests the client sends, with what was still unanswered at each. */
function recordRequests() {
  const calls: Call[] = [];
  const unanswered = { write: 0, link: 0, read: 0, realpath: 0 };
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  const wrap = (name: string, counter?: keyof typeof unanswered) => {
    const original = SFTP.prototype[name]!;
    originals.set(name, original);
    SFTP.prototype[name] = function (this: unknown, ...args: unknown[]) {
      calls.push({
        name,
        unansweredWrites: unanswered.write,
        unansweredLinks: unanswered.link,
        unansweredReads: unanswered.read,
        unansweredRealpaths: unanswered.realpath,
      });
      if (counter) {
        const callback = args.at(-1) as (...results: unknown[]) => void;
        unanswered[counter]++;
        args[args.length - 1] = (...results: unknown[]) => {
          unanswered[counter]--;
          callback(...results);
        };
      }
      return original.apply(this, args);
    };
  };
  wrap('write', 'write');
  wrap('ext_openssh_hardlink', 'link');
  wrap('ext_openssh_fsync');
  wrap('close');
  wrap('unlink');
  wrap('fstat');
  wrap('read', 'read');
  wrap('realpath', 'realpath');
  wrap('open');
  return {
    calls,
    restore() {
      for (const [name, original] of originals) SFTP.prototype[name] = original;
    },
  };
}

describe('requests sent without waiting for the previous reply', () => {
  let accessor: SftpAccessor;
  let localPath: string;
  let recorder: ReturnType<typeof recordRequests> | undefined;

  beforeAll(() => {
    ({ accessor, localPath } = isolatedAccessor());
  });
  afterEach(() => {
    recorder?.restore();
    recorder = undefined;
  });
  afterAll(async () => {
    await accessor.close();
  });

  it('closes the temp file right after its last WRITE, before the replies', async () => {
    await accessor.makeContainer('close');
    const small = randomBytes(4096);
    const large = randomBytes(3 * 1024 * 1024 + 7);
    recorder = recordRequests();
    await accessor.write('close/small.bin', small, { size: small.length });
    await accessor.write('close/large.bin', large, { size: large.length });
    const closes = recorder.calls.filter((call) => call.name === 'close');
    expect(closes).toHaveLength(2);
    for (const close of closes) expect(close.unansweredWrites).toBeGreaterThan(0);
    // The server still applied every write before the close.
    expect(readFileSync(join(localPath, 'close/small.bin')).equals(small)).toBe(true);
    expect(readFileSync(join(localPath, 'close/large.bin')).equals(large)).toBe(true);
    expect(localNames(join(localPath, 'close'))).toEqual(['large.bin', 'small.bin']);
  });

  it('with fsync on, sends the fsync between the last WRITE and the close', async () => {
    const { accessor: syncing, localPath: syncPath } = isolatedAccessor({ fsync: true });
    try {
      const data = randomBytes(600 * 1024);
      recorder = recordRequests();
      await syncing.write('synced.bin', data);
      const names = recorder.calls.map((call) => call.name).filter((name) => name !== 'unlink');
      expect(names.slice(-3)).toEqual(['write', 'ext_openssh_fsync', 'close']);
      const fsync = recorder.calls.find((call) => call.name === 'ext_openssh_fsync')!;
      expect(fsync.unansweredWrites).toBeGreaterThan(0);
      expect(readFileSync(join(syncPath, 'synced.bin')).equals(data)).toBe(true);
    } finally {
      await syncing.close();
    }
  });

  it('a resumable write closes only after every WRITE was answered (checkpoints fsync the handle)', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    recorder = recordRequests();
    await accessor.write('resumable.bin', data, { resume: { offset: 0, save: async () => {} } });
    const closes = recorder.calls.filter((call) => call.name === 'close');
    expect(closes).toHaveLength(1);
    expect(closes[0]!.unansweredWrites).toBe(0);
    expect(readFileSync(join(localPath, 'resumable.bin')).equals(data)).toBe(true);
  });

  it('sends the first READ with the fstat: a small file is read in the same round trip', async () => {
    const small = randomBytes(3000);
    const large = randomBytes(700 * 1024 + 11);
    await accessor.makeContainer('read');
    await accessor.write('read/small.bin', small);
    await accessor.write('read/large.bin', large);
    recorder = recordRequests();
    const opened = await accessor.openRead!('read/small.bin');
    expect(opened.stat.size).toBe(small.length);
    expect((await readAll(opened.stream)).equals(small)).toBe(true);
    expect(recorder.calls.filter((call) => call.name === 'read')).toHaveLength(1);
    const fstat = recorder.calls.find((call) => call.name === 'fstat')!;
    expect(fstat.unansweredReads).toBe(1);
    // Larger files and ranges: the first READ is the first piece, the rest follows.
    expect((await readAll(await accessor.createReadStream('read/large.bin'))).equals(large)).toBe(true);
    const ranges = [
      [0, 0],
      [10, 70_000],
      [65_535, 65_536],
      [100_000, 700 * 1024 + 10],
      [700 * 1024, 800 * 1024],
    ] as const;
    for (const [start, end] of ranges) {
      const range = await readAll(await accessor.createReadStream('read/large.bin', { start, end }));
      expect(range.equals(large.subarray(start, end + 1))).toBe(true);
    }
    expect(
      (await readAll(await accessor.createReadStream('read/large.bin', { start: 800 * 1024 }))).length,
    ).toBe(0);
  });

  it("sends a read's OPEN with its confinement REALPATH: one round trip less per file", async () => {
    const data = randomBytes(2000);
    await accessor.makeContainer('confined');
    await accessor.write('confined/f.bin', data);
    recorder = recordRequests();
    const opened = await accessor.openRead!('confined/f.bin');
    expect((await readAll(opened.stream)).equals(data)).toBe(true);
    const names = recorder.calls.map((call) => call.name);
    expect(names.slice(0, 2)).toEqual(['realpath', 'open']);
    expect(recorder.calls[1]!.unansweredRealpaths).toBe(1);
  });

  it('a file linked out of the root: refused, its handle closed before any READ', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'stowage-sftp-outside-'));
    try {
      chmodSync(outside, 0o755);
      writeFileSync(join(outside, 'secret.txt'), 'secret');
      chmodSync(join(outside, 'secret.txt'), 0o644);
      await accessor.makeContainer('escape');
      symlinkSync(join(outside, 'secret.txt'), join(localPath, 'escape/out'));
      recorder = recordRequests();
      await expect(accessor.openRead!('escape/out')).rejects.toBeInstanceOf(AccessorResourceIdentifierError);
      const names = recorder.calls.map((call) => call.name);
      // The OPEN went out with the check; the refusal closed what it opened and read nothing.
      expect(names).toContain('open');
      expect(names).toContain('close');
      expect(names).not.toContain('read');
      expect(names).not.toContain('fstat');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('create-only: the temp name is unlinked in the link round trip; a refused write keeps the target and leaves no temp', async () => {
    await accessor.makeContainer('link');
    const first = randomBytes(5000);
    recorder = recordRequests();
    await accessor.write('link/f.bin', first, { overwrite: false });
    const unlink = recorder.calls.find((call) => call.name === 'unlink')!;
    expect(unlink.unansweredLinks).toBe(1);

    await expect(
      accessor.write('link/f.bin', randomBytes(5000), { overwrite: false }),
    ).rejects.toBeInstanceOf(AccessorResourceExistsError);
    expect(readFileSync(join(localPath, 'link/f.bin')).equals(first)).toBe(true);
    expect(localNames(join(localPath, 'link'))).toEqual(['f.bin']);
  });
});
