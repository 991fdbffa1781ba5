import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  type Accessor,
  FileCheckpointStore,
  OriginAccessor,
  type RangeWriter,
  type RangeWriterOptions,
  toReadable,
  transferFile,
  type WriteSource,
} from '@stowage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomName } from './context.js';
import type { ResumeChildSpec } from './resume-child.js';

/**
 * The resume suite: a transfer in a child process is killed (SIGKILL) once
 * the target has saved more than `killAtFraction` of the file in a
 * checkpoint; the next transfer of the same file must continue from there.
 * The child imports the accessor's built module, so build before testing.
 */
export interface ResumeSuiteOptions {
  /** Absolute path of the accessor's built ESM module (e.g. `dist/index.js`). */
  accessorModule: string;
  /** Name of the accessor class it exports. */
  accessorExport: string;
  /** Plain-JSON constructor options, used in the child and here. */
  accessorOptions: Record<string, unknown>;
  /** File size (default 64 MiB). */
  size?: number;
  /** Kill once a checkpoint covers this fraction of the file (default 0.6). */
  killAtFraction?: number;
  /** How fast the child reads its source (default 48 MiB/s), so it can be caught midway. */
  sourceBytesPerSecond?: number;
  /** Multiply timeouts (slow backends). */
  timeoutMultiplier?: number;
}

const childScript = fileURLToPath(new URL('../dist/resume-child.js', import.meta.url));

/** An accessor whose `write` counts the bytes it is given: what a transfer sends. */
function countingWrites(accessor: Accessor): { accessor: Accessor; sent: () => number } {
  let sent = 0;
  async function* count(source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      sent += chunk.length;
      yield chunk;
    }
  }
  const proxy = new Proxy(accessor, {
    get(object, property) {
      if (property === 'write') {
        return (resourceIdentifier: string, source: WriteSource, options: Parameters<Accessor['write']>[2]) =>
          object.write(resourceIdentifier, Readable.from(count(toReadable(source))), options);
      }
      // Multi-stream downloads (a disk target) write ranges instead.
      if (property === 'openRangeWriter' && object.openRangeWriter) {
        return async (resourceIdentifier: string, options: RangeWriterOptions) => {
          const writer = await object.openRangeWriter!(resourceIdentifier, options);
          return {
            write: (data: Uint8Array, position: number) => {
              sent += data.length;
              return writer.write(data, position);
            },
            ...(writer.writeChunks
              ? {
                  writeChunks: (chunks: Uint8Array[], position: number) => {
                    for (const chunk of chunks) sent += chunk.length;
                    return writer.writeChunks!(chunks, position);
                  },
                }
              : {}),
            ...(writer.contiguous ? { contiguous: (offset: number) => writer.contiguous!(offset) } : {}),
            checkpoint: (offset: number) => writer.checkpoint(offset),
            commit: (commitOptions?: Parameters<RangeWriter['commit']>[0]) => writer.commit(commitOptions),
            abort: (keep?: boolean) => writer.abort(keep),
          } satisfies RangeWriter;
        };
      }
      const value = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
  return { accessor: proxy, sent: () => sent };
}

async function writeRandomFile(path: string, size: number, keepPrefix = 0): Promise<string> {
  const handle = await open(path, keepPrefix > 0 ? 'r+' : 'w');
  try {
    for (let written = keepPrefix; written < size; ) {
      const piece = randomBytes(Math.min(1024 * 1024, size - written));
      await handle.write(piece, 0, piece.length, written);
      written += piece.length;
    }
  } finally {
    await handle.close();
  }
  return sha256OfFile(path);
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of (await import('node:fs')).createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sha256Of(accessor: Accessor, resourceIdentifier: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await accessor.createReadStream(resourceIdentifier)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Run the child until a checkpoint covers `atBytes`, then SIGKILL it. Resolves with the last saved offset. */
function transferAndKill(spec: ResumeChildSpec, atBytes: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let saved = 0;
    let killed = false;
    let stderr = '';
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child transfer did not reach ${atBytes} bytes in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^saved (\d+)$/.exec(line);
        if (match) saved = Math.max(saved, Number(match[1]));
        if (!killed && saved >= atBytes) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (killed && signal === 'SIGKILL') resolve(saved);
      else
        reject(
          new Error(
            `the child transfer ended before it could be killed (code ${code}, signal ${signal}, last checkpoint ${saved} bytes): ${stderr.slice(-2000)}`,
          ),
        );
    });
  });
}

/**
 * Register the resume suite for an accessor with `capabilities.resume`: one
 * vitest `describe` with the kill-and-resume cases.
 */
export function describeResumeConformance(name: string, options: ResumeSuiteOptions): void {
  describe(`resume conformance: ${name}`, async () => {
    const module = (await import(options.accessorModule)) as Record<string, new (o: unknown) => Accessor>;
    const AccessorClass = module[options.accessorExport];
    if (!AccessorClass) throw new Error(`${options.accessorModule} exports no ${options.accessorExport}`);
    const accessor = new AccessorClass(options.accessorOptions);
    const size = options.size ?? 64 * 1024 * 1024;
    const killAt = Math.ceil(size * (options.killAtFraction ?? 0.6));
    const timeout = 120_000 * (options.timeoutMultiplier ?? 1);
    const root = randomName('resume-');
    let dir = '';
    let store: FileCheckpointStore;
    const origin = new OriginAccessor();

    beforeAll(async () => {
      expect(accessor.capabilities.resume).toBe(true);
      dir = await mkdtemp(join(tmpdir(), 'stowage-resume-'));
      store = new FileCheckpointStore(join(dir, 'checkpoints'));
      await accessor.makeContainer(root, true);
    }, timeout);

    afterAll(async () => {
      try {
        await accessor.removeContainer(root, { recursive: true });
      } finally {
        await accessor.close();
        if (dir) await rm(dir, { recursive: true, force: true });
      }
    }, timeout);

    /** Start a transfer of `source` in a child and kill it midway; returns the checkpoint's offset. */
    async function interrupted(source: string, resourceIdentifier: string, key: string): Promise<number> {
      return transferAndKill(
        {
          accessorModule: options.accessorModule,
          accessorExport: options.accessorExport,
          accessorOptions: options.accessorOptions,
          source,
          resourceIdentifier,
          checkpointDirectory: store.directory,
          key,
          sourceBytesPerSecond: options.sourceBytesPerSecond ?? 48 * 1024 * 1024,
        },
        killAt,
        timeout / 2,
      );
    }

    it(
      'resumes an upload whose process was killed, sending less than half again',
      async () => {
        const source = join(dir, 'killed.bin');
        const expected = await writeRandomFile(source, size);
        const target = `${root}/killed.bin`;
        const key = `resume-test\0${target}`;
        const saved = await interrupted(source, target, key);
        expect(saved).toBeGreaterThanOrEqual(killAt);
        // Nothing partial is visible at the target, and the checkpoint survived the kill.
        expect(await accessor.exists(target)).toBe(false);
        expect(await store.load(key)).toBeDefined();

        const counting = countingWrites(accessor);
        const result = await transferFile(origin, source, counting.accessor, target, {
          checkpoints: { store, key, threshold: 1 },
          fastPaths: false,
        });
        expect(result.resumedFrom).toBeGreaterThan(0);
        expect(result.size).toBe(size);
        expect(counting.sent()).toBeLessThan(size / 2);
        expect(counting.sent()).toBe(size - (result.resumedFrom ?? 0));
        expect(await sha256Of(accessor, target)).toBe(expected);
        expect(await store.load(key)).toBeUndefined();
        expect(await accessor.list(root)).toEqual([target]);
      },
      timeout,
    );

    it(
      'starts over when the source changed since the checkpoint',
      async () => {
        const source = join(dir, 'changed.bin');
        await writeRandomFile(source, size);
        const target = `${root}/changed.bin`;
        const key = `resume-test\0${target}`;
        await interrupted(source, target, key);
        // Same size, same first bytes, new tail and mtime: the fingerprint differs.
        const expected = await writeRandomFile(source, size, size - 1024 * 1024);
        await utimes(source, new Date(), new Date(Date.now() + 5_000));

        const counting = countingWrites(accessor);
        const result = await transferFile(origin, source, counting.accessor, target, {
          checkpoints: { store, key, threshold: 1 },
          fastPaths: false,
        });
        expect(result.resumedFrom).toBeUndefined();
        expect(counting.sent()).toBe(size);
        expect(await sha256Of(accessor, target)).toBe(expected);
        expect(await store.load(key)).toBeUndefined();
      },
      timeout,
    );

    it(
      'a discarded partial upload cannot be resumed, and the next transfer starts over',
      async () => {
        const source = join(dir, 'discarded.bin');
        const expected = await writeRandomFile(source, size);
        const target = `${root}/discarded.bin`;
        const key = `resume-test\0${target}`;
        await interrupted(source, target, key);
        const checkpoint = await store.load(key);
        expect(checkpoint).toBeDefined();
        expect(checkpoint?.accessor).toBe(accessor.name);
        expect(await accessor.resumeOffset?.(target, checkpoint!.state, { size })).toBeGreaterThan(0);
        await accessor.discardResume?.(target, checkpoint!.state);
        expect(await accessor.resumeOffset?.(target, checkpoint!.state, { size })).toBeUndefined();

        const counting = countingWrites(accessor);
        const result = await transferFile(origin, source, counting.accessor, target, {
          checkpoints: { store, key, threshold: 1 },
          fastPaths: false,
        });
        expect(result.resumedFrom).toBeUndefined();
        expect(counting.sent()).toBe(size);
        expect(await sha256Of(accessor, target)).toBe(expected);
      },
      timeout,
    );
  });
}
