import { createHash, randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describeResumeConformance } from '@stowage/conformance';
import { AccessorIntegrityError, type ResumeState } from '@stowage/core';
import type { SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SftpAccessor } from '../src/index.js';
import { sftpAccessorOptionsFromEnv } from '../src/index.js';
import { PipelinedWriteStream } from '../src/pipelined-write-stream.js';
import { isolatedAccessor, isolatedFolder, localNames } from './helpers.js';

// The shared kill-and-resume suite: a child process (importing dist/) is
// killed mid-upload and the transfer resumes from its checkpoint.
describeResumeConformance('SftpAccessor (OpenSSH sshd)', {
  accessorModule: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
  accessorExport: 'SftpAccessor',
  accessorOptions: { ...sftpAccessorOptionsFromEnv(), folder: isolatedFolder().folder },
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A source that yields `data` in 64 KiB pieces, then fails (or ends when `failAt` is undefined). */
function sourceOf(data: Buffer, failAt?: number): Readable {
  let position = 0;
  return new Readable({
    read() {
      if (failAt !== undefined && position >= failAt) return this.destroy(new Error('source broke'));
      if (position >= data.length) return this.push(null);
      const end = Math.min(data.length, position + 64 * 1024, failAt ?? Number.POSITIVE_INFINITY);
      this.push(data.subarray(position, end));
      position = end;
    },
  });
}

describe('SFTP resumable writes', () => {
  let accessor: SftpAccessor;
  let localPath: string;
  const owner = () => statSync(localPath);

  /** Plant a file in the served folder as the SFTP user would own it. */
  function plant(relative: string, data: Buffer): void {
    const path = join(localPath, relative);
    writeFileSync(path, data);
    chownSync(path, owner().uid, owner().gid);
  }

  beforeAll(async () => {
    ({ accessor, localPath } = isolatedAccessor());
    await accessor.makeContainer('r');
  });
  afterAll(async () => {
    await accessor.close();
  });

  it('declares resume', () => {
    expect(accessor.capabilities.resume).toBe(true);
  });

  it('saves before the first byte and every 8 MiB, keeps the partial on failure, and continues it', async () => {
    const data = randomBytes(20 * 1024 * 1024 + 123);
    const saved: ResumeState[] = [];
    const save = async (state: ResumeState) => {
      saved.push(state);
    };
    await expect(
      accessor.write('r/big', sourceOf(data, 18 * 1024 * 1024), { resume: { offset: 0, save } }),
    ).rejects.toThrow(/source broke/);
    expect(saved[0]).toEqual({ temp: expect.stringMatching(/^\.stowage-[0-9a-f]{16}\.tmp$/), offset: 0 });
    const offsets = saved.map((state) => state.offset as number);
    expect(offsets.slice(1).every((offset) => offset >= 8 * 1024 * 1024)).toBe(true);
    expect(offsets.length).toBeGreaterThanOrEqual(3);
    const state = saved.at(-1)!;
    // The partial stays (hidden from list), the target does not exist.
    expect(localNames(join(localPath, 'r'))).toEqual([state.temp]);
    expect(await accessor.list('r')).toEqual([]);
    const offset = await accessor.resumeOffset('r/big', state, { size: data.length });
    expect(offset).toBe(state.offset);
    expect(offset).toBeGreaterThanOrEqual(16 * 1024 * 1024);

    const progress: number[] = [];
    const result = await accessor.write('r/big', sourceOf(data.subarray(offset)), {
      size: data.length,
      checksums: ['md5'],
      onProgress: (bytes) => progress.push(bytes),
      resume: { state, offset: offset!, save },
    });
    expect(result.size).toBe(data.length);
    // Without prefix hashes a resumed write cannot report an MD5 of the whole file.
    expect(result.checksums).toEqual({});
    expect(progress[0]).toBeGreaterThan(offset!);
    expect(progress.at(-1)).toBe(data.length);
    expect(sha256(readFileSync(join(localPath, 'r/big')))).toBe(sha256(data));
    expect(localNames(join(localPath, 'r'))).toEqual(['big']);
  });

  it('never counts past the saved offset (holes) and cuts a longer temp file to size', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const temp = `.stowage-${randomBytes(8).toString('hex')}.tmp`;
    // The temp file is longer than the saved offset (later requests landed,
    // earlier ones may not have) and longer than the whole file.
    const planted = Buffer.concat([data.subarray(0, 1024 * 1024), randomBytes(3 * 1024 * 1024)]);
    plant(`r/${temp}`, planted);
    const state = { temp, offset: 1024 * 1024 };
    expect(await accessor.resumeOffset('r/holes', state, { size: data.length })).toBe(1024 * 1024);
    expect(await accessor.resumeOffset('r/holes', { temp, offset: 10 ** 9 }, { size: data.length })).toBe(
      data.length,
    );
    await accessor.write('r/holes', data.subarray(1024 * 1024), {
      size: data.length,
      resume: { state, offset: 1024 * 1024, save: async () => {} },
    });
    expect(sha256(readFileSync(join(localPath, 'r/holes')))).toBe(sha256(data));
    expect(localNames(join(localPath, 'r'))).toEqual(['big', 'holes']);
  });

  it('checks the whole size when resuming, and publishes create-only writes by hardlink', async () => {
    const data = randomBytes(1024 * 1024);
    const temp = `.stowage-${randomBytes(8).toString('hex')}.tmp`;
    plant(`r/${temp}`, data.subarray(0, 1000));
    const state = { temp, offset: 1000 };
    // One byte short of the declared size: an integrity error, the partial stays for discardResume.
    await expect(
      accessor.write('r/exact', data.subarray(1000, data.length - 1), {
        size: data.length,
        overwrite: false,
        resume: { state, offset: 1000, save: async () => {} },
      }),
    ).rejects.toBeInstanceOf(AccessorIntegrityError);
    expect(localNames(join(localPath, 'r'))).toContain(temp);
    await accessor.write('r/exact', data.subarray(1000), {
      size: data.length,
      overwrite: false,
      resume: { state, offset: 1000, save: async () => {} },
    });
    expect(sha256(readFileSync(join(localPath, 'r/exact')))).toBe(sha256(data));
    expect(localNames(join(localPath, 'r'))).not.toContain(temp);
  });

  it('refuses states that are not its own temp file in the target folder', async () => {
    await accessor.makeContainer('r/sub');
    plant('r/plain.bin', randomBytes(100));
    plant('r/sub/.stowage-00000000000000aa.tmp', randomBytes(100));
    const name = '.stowage-00000000000000bb.tmp';
    plant(`r/${name}`, randomBytes(100));
    mkdirSync(join(localPath, 'r', '.stowage-00000000000000cc.tmp'));
    symlinkSync(join(localPath, 'r', name), join(localPath, 'r', '.stowage-00000000000000dd.tmp'));
    const size = 1000;
    const bad: unknown[] = [
      {},
      { temp: 'plain.bin', offset: 1 },
      { temp: `../r/${name}`, offset: 1 },
      { temp: `sub/.stowage-00000000000000aa.tmp`, offset: 1 },
      { temp: '/etc/passwd', offset: 1 },
      { temp: `${name}/..`, offset: 1 },
      { temp: name.toUpperCase(), offset: 1 },
      { temp: name, offset: -1 },
      { temp: name, offset: 1.5 },
      { temp: name, offset: '1' },
      { temp: '.stowage-00000000000000cc.tmp', offset: 1 }, // a directory
      { temp: '.stowage-00000000000000dd.tmp', offset: 1 }, // a symbolic link
      { temp: '.stowage-00000000000000ee.tmp', offset: 1 }, // missing
    ];
    for (const state of bad)
      expect(await accessor.resumeOffset('r/target', state as ResumeState, { size })).toBeUndefined();
    // The same temp name under another folder is not this target's.
    expect(
      await accessor.resumeOffset('r/sub/x', { temp: name, offset: 1 } as ResumeState, { size }),
    ).toBeUndefined();
    expect(await accessor.resumeOffset('r/target', { temp: name, offset: 50 }, { size })).toBe(50);
    await expect(
      accessor.write('r/target', 'x', {
        resume: { state: { temp: 'plain.bin', offset: 0 }, offset: 0, save: async () => {} },
      }),
    ).rejects.toThrow(/Invalid SFTP resume state/);
    // discardResume never touches anything but its own temp file.
    for (const state of bad) await accessor.discardResume('r/target', state as ResumeState);
    expect(localNames(join(localPath, 'r'))).toContain('plain.bin');
    expect(localNames(join(localPath, 'r'))).toContain('.stowage-00000000000000cc.tmp');
    expect(localNames(join(localPath, 'r/sub'))).toEqual(['.stowage-00000000000000aa.tmp']);
    await accessor.discardResume('r/target', { temp: name, offset: 1 });
    expect(localNames(join(localPath, 'r'))).not.toContain(name);
    // Already gone: no error.
    await accessor.discardResume('r/target', { temp: name, offset: 1 });
    expect(await accessor.resumeOffset('r/target', { temp: name, offset: 1 }, { size })).toBeUndefined();
  });

  it('fails a resume whose partial vanished as transient, so a retry starts over', async () => {
    const error = await accessor
      .write('r/vanished', 'abc', {
        resume: {
          state: { temp: '.stowage-00000000000000ff.tmp', offset: 1 },
          offset: 1,
          save: async () => {},
        },
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ transient: true });
    expect(await accessor.exists('r/vanished')).toBe(false);
  });
});

describe('PipelinedWriteStream', () => {
  it('reports the contiguous acknowledged prefix, never past an unacknowledged request', async () => {
    const requests: Array<{ position: number; length: number; done: (error?: Error) => void }> = [];
    const sftp = {
      outgoing: { state: 'open' },
      incoming: { state: 'open' },
      write(
        _handle: Buffer,
        _data: Buffer,
        _offset: number,
        length: number,
        position: number,
        done: (error?: Error) => void,
      ) {
        requests.push({ position, length, done });
      },
    } as unknown as SFTPWrapper;
    const reported: number[] = [];
    const writer = new PipelinedWriteStream(sftp, Buffer.alloc(0), {
      chunkSize: 10,
      concurrency: 100,
      start: 1000,
      onContiguous: (position) => reported.push(position),
    });
    writer.write(Buffer.alloc(40));
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests.map((request) => request.position)).toEqual([1000, 1010, 1020, 1030]);
    requests[3]!.done();
    requests[1]!.done();
    expect(writer.contiguous).toBe(1000);
    expect(writer.acknowledged).toBe(1020);
    requests[0]!.done();
    expect(writer.contiguous).toBe(1020);
    requests[2]!.done(new Error('write failed'));
    expect(writer.contiguous).toBe(1020);
    expect(reported).toEqual([1020]);
    writer.on('error', () => {});
    writer.destroy();
  });
});
