import { createHash, randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describeResumeConformance } from '@stowage/conformance';
import { AccessorIntegrityError, MemoryCheckpointStore, type ResumeState, transferFile } from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FtpAccessor } from '../src/index.js';
import { isolatedAccessor, serverEnv, TARGETS } from './servers.js';

// The shared kill-and-resume suite against every server and mode: a child
// process (importing dist/) is killed mid-upload and the transfer resumes
// from its checkpoint. Options must be plain JSON, so the CA goes as PEM text.
for (const { server, secure, label } of TARGETS) {
  const env = serverEnv(server);
  describeResumeConformance(`FtpAccessor (${label})`, {
    accessorModule: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
    accessorExport: 'FtpAccessor',
    accessorOptions: {
      host: env.host,
      port: env.port,
      user: env.user,
      password: env.password,
      secure,
      ...(secure ? { secureOptions: { ca: readFileSync(env.caFile, 'utf8') } } : {}),
    },
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A source that yields `data` in 64 KiB pieces, then fails at `failAt` (or ends). */
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

describe.each(TARGETS)('FTP resumable writes ($label)', ({ server, secure }) => {
  let accessor: FtpAccessor;
  let localRoot: string;
  const temps = (directory = '') =>
    readdirSync(join(localRoot, directory)).filter((name) => name.startsWith('.stowage-'));

  /** Plant a file in the served folder, owned as the FTP user would own it. */
  function plant(relative: string, data: Buffer): void {
    const path = join(localRoot, relative);
    writeFileSync(path, data);
    const owner = statSync(localRoot);
    chownSync(path, owner.uid, owner.gid);
  }

  beforeAll(async () => {
    const isolated = await isolatedAccessor(server, secure);
    accessor = isolated.accessor;
    localRoot = join(serverEnv(server).root, isolated.directory);
  });
  afterAll(async () => {
    await accessor?.close();
  });

  it('saves before the first byte and every 8 MiB, keeps the partial on failure, and appends to it', async () => {
    expect(accessor.capabilities.resume).toBe(true);
    const data = randomBytes(20 * 1024 * 1024 + 77);
    const saved: ResumeState[] = [];
    const save = async (state: ResumeState) => {
      saved.push(state);
    };
    await expect(
      accessor.write('big', sourceOf(data, 18 * 1024 * 1024), { resume: { offset: 0, save } }),
    ).rejects.toThrow(/source broke/);
    expect(saved[0]).toEqual({ temp: expect.stringMatching(/^\.stowage-[0-9a-f]{16}\.tmp$/), offset: 0 });
    expect(saved.length).toBeGreaterThanOrEqual(3);
    expect(saved.slice(1).every((state) => (state.offset as number) >= 8 * 1024 * 1024)).toBe(true);
    const state = saved.at(-1)!;
    expect(temps()).toEqual([state.temp]);
    expect(await accessor.list('')).toEqual([]);
    // SIZE of the temp file is what counts (every byte up to it arrived in
    // order); the saved offset counts bytes handed to the data connection, and
    // those still in buffers when it was cut never reached the server.
    const offset = await accessor.resumeOffset('big', state, { size: data.length });
    expect(offset).toBe(statSync(join(localRoot, state.temp as string)).size);
    expect(offset).toBeGreaterThan(8 * 1024 * 1024);
    expect(offset).toBeLessThanOrEqual(18 * 1024 * 1024);

    const progress: number[] = [];
    const result = await accessor.write('big', sourceOf(data.subarray(offset)), {
      size: data.length,
      onProgress: (bytes) => progress.push(bytes),
      resume: { state, offset: offset!, save },
    });
    expect(result.size).toBe(data.length);
    expect(progress[0]).toBeGreaterThan(offset!);
    expect(progress.at(-1)).toBe(data.length);
    expect(sha256(readFileSync(join(localRoot, 'big')))).toBe(sha256(data));
    expect(temps()).toEqual([]);
  });

  it('re-checks the temp size before appending, and the whole size before publishing', async () => {
    const data = randomBytes(256 * 1024);
    const temp = `.stowage-${randomBytes(8).toString('hex')}.tmp`;
    plant(temp, data.subarray(0, 1000));
    const state = { temp, offset: 1000 };
    // The partial does not hold the offset the write resumes from: transient, nothing appended.
    const error = await accessor
      .write('exact', data.subarray(900), {
        resume: { state, offset: 900, save: async () => {} },
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ transient: true });
    expect(statSync(join(localRoot, temp)).size).toBe(1000);
    // One byte short of the declared size: an integrity error, the partial stays.
    await expect(
      accessor.write('exact', data.subarray(1000, data.length - 1), {
        size: data.length,
        resume: { state, offset: 1000, save: async () => {} },
      }),
    ).rejects.toBeInstanceOf(AccessorIntegrityError);
    expect(temps()).toEqual([temp]);
    await accessor.discardResume('exact', state);
    expect(temps()).toEqual([]);
    expect(await accessor.resumeOffset('exact', state, { size: data.length })).toBeUndefined();
    // Appending to a partial of the right size publishes the whole file, create-only too.
    plant(temp, data.subarray(0, 1000));
    await accessor.write('exact', data.subarray(1000), {
      size: data.length,
      overwrite: false,
      resume: { state, offset: 1000, save: async () => {} },
    });
    expect(sha256(readFileSync(join(localRoot, 'exact')))).toBe(sha256(data));
    expect(temps()).toEqual([]);
  });

  it('refuses states that are not its own temp file in the target folder', async () => {
    await accessor.makeContainer('sub');
    plant('plain.bin', randomBytes(100));
    plant('sub/.stowage-00000000000000aa.tmp', randomBytes(100));
    const name = '.stowage-00000000000000bb.tmp';
    plant(name, randomBytes(100));
    mkdirSync(join(localRoot, '.stowage-00000000000000cc.tmp'));
    chownSync(
      join(localRoot, '.stowage-00000000000000cc.tmp'),
      statSync(localRoot).uid,
      statSync(localRoot).gid,
    );
    const size = 1000;
    const bad: unknown[] = [
      {},
      { temp: 'plain.bin', offset: 1 },
      { temp: `../${name}`, offset: 1 },
      { temp: 'sub/.stowage-00000000000000aa.tmp', offset: 1 },
      { temp: '/etc/passwd', offset: 1 },
      { temp: `${name}/..`, offset: 1 },
      { temp: name.toUpperCase(), offset: 1 },
      { temp: name, offset: -1 },
      { temp: name, offset: 0.5 },
      { temp: '.stowage-00000000000000cc.tmp', offset: 1 }, // a directory
      { temp: '.stowage-00000000000000ee.tmp', offset: 1 }, // missing
    ];
    for (const state of bad)
      expect(await accessor.resumeOffset('target', state as ResumeState, { size })).toBeUndefined();
    // The same temp name under another folder is not this target's.
    expect(await accessor.resumeOffset('sub/x', { temp: name, offset: 1 }, { size })).toBeUndefined();
    expect(await accessor.resumeOffset('target', { temp: name, offset: 1 }, { size })).toBe(100);
    expect(await accessor.resumeOffset('target', { temp: name, offset: 1 }, { size: 60 })).toBe(60);
    await expect(
      accessor.write('target', 'x', {
        resume: { state: { temp: 'plain.bin', offset: 0 }, offset: 0, save: async () => {} },
      }),
    ).rejects.toThrow(/Invalid FTP resume state/);
    for (const state of bad) await accessor.discardResume('target', state as ResumeState);
    expect(readdirSync(localRoot)).toContain('plain.bin');
    expect(readdirSync(localRoot)).toContain('.stowage-00000000000000cc.tmp');
    expect(readdirSync(join(localRoot, 'sub'))).toEqual(['.stowage-00000000000000aa.tmp']);
    await accessor.discardResume('target', { temp: name, offset: 1 });
    expect(readdirSync(localRoot)).not.toContain(name);
    // Already gone: no error.
    await accessor.discardResume('target', { temp: name, offset: 1 });
  });
});

describe('resumable copies from an FTP source with a pool of one connection', () => {
  it('finish: the fingerprint reads never wait for the connection the open read holds', async () => {
    const source = await isolatedAccessor('proftpd', false, { poolSize: 1 });
    const target = await isolatedAccessor('proftpd', false);
    try {
      const data = randomBytes(3 * 1024 * 1024 + 5);
      await source.accessor.write('plate.bin', data);
      const store = new MemoryCheckpointStore();
      let saves = 0;
      const watched = Object.assign(Object.create(store) as MemoryCheckpointStore, {
        save: async (...args: Parameters<MemoryCheckpointStore['save']>) => {
          saves++;
          await store.save(...args);
        },
      });
      const result = await transferFile(source.accessor, 'plate.bin', target.accessor, 'plate.bin', {
        checkpoints: { store: watched, key: 'pool-of-one', threshold: 1 },
        fastPaths: false,
      });
      expect(result.size).toBe(data.length);
      expect(saves).toBeGreaterThan(0); // the resumable path, with its fingerprint
      const root = serverEnv('proftpd').root;
      expect(sha256(readFileSync(join(root, target.directory, 'plate.bin')))).toBe(sha256(data));
    } finally {
      await source.accessor.close();
      await target.accessor.close();
    }
  }, 30_000);
});
