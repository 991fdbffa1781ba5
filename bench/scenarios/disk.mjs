// Disk -> disk against `cp`: one 1 GiB file, a 1,000-frame sequence of 1 MiB
// frames, and 10,000 files of 4 KiB in a folder. Stowage goes through
// Location.addComponent (registry, structure, verification included).
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, report, runCommand, timeRuns, writeResults } from '../lib.mjs';

const core = await import('../../packages/core/dist/index.js');
const { DiskAccessor } = await import('../../packages/accessor-disk/dist/index.js');
// BENCH_DISK_FSYNC=0 (diagnostics only): what the per-file fsync costs.
const FSYNC = process.env.BENCH_DISK_FSYNC === '0' ? { fsync: false } : {};

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const GiB = 1024 ** 3;

/** Identity structure: the same relative path as in the source folder. */
const sameName = {
  getResourceIdentifier(_component, context) {
    return context.sourceResourceIdentifier.split('/').slice(-2).join('/');
  },
};

function fill(path, size) {
  const block = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = openSync(path, 'w');
  for (let written = 0; written < size; written += block.length)
    writeSync(fd, block, 0, Math.min(block.length, size - written));
  closeSync(fd);
}

export async function run() {
  const root = mkdtempSync(join(tmpdir(), 'stowage-bench-disk-'));
  const results = [];
  try {
    // 1. One 1 GiB file.
    const size = Number(process.env.BENCH_FILE_SIZE ?? GiB);
    mkdirSync(join(root, 'src'));
    fill(join(root, 'src', 'big.bin'), size);
    for (const fastPaths of [false, true]) {
      const stowage = await timeRuns(
        RUNS,
        async () => {
          const session = new core.Session({ pluginPaths: [] });
          const target = session.createLocation({
            name: 't',
            accessor: new DiskAccessor({ prefix: join(root, 'dst'), ...FSYNC }),
            structure: sameName,
            priority: 1,
          });
          await target.accessor.makeContainer('', true);
          const component = await session.createComponent(join(root, 'src', 'big.bin'), {}, null);
          await target.addComponent(component, session.origin, { fastPaths });
        },
        () => rmSync(join(root, 'dst'), { recursive: true, force: true }),
      );
      const cp = await timeRuns(
        RUNS,
        () => runCommand('cp', [join(root, 'src', 'big.bin'), join(root, 'cp.bin')]),
        () => rmSync(join(root, 'cp.bin'), { force: true }),
      );
      report(results, {
        scenario: `disk 1 file ${(size / GiB).toFixed(2)} GiB ${fastPaths ? '(copyFile)' : '(streamed)'}`,
        bytes: size,
        stowageMs: median(stowage),
        reference: 'cp',
        referenceMs: median(cp),
      });
    }
    rmSync(join(root, 'src'), { recursive: true, force: true });

    // 2. 1,000 frames of 1 MiB.
    const frames = Number(process.env.BENCH_FRAMES ?? 1000);
    mkdirSync(join(root, 'seq'));
    const frame = Buffer.alloc(1024 * 1024, 7);
    for (let i = 1; i <= frames; i++)
      writeFileSync(join(root, 'seq', `f.${String(i).padStart(4, '0')}.exr`), frame);
    for (const concurrency of [4, 8]) {
      const stowage = await timeRuns(
        RUNS,
        async () => {
          const session = new core.Session({ pluginPaths: [] });
          const target = session.createLocation({
            name: 't',
            accessor: new DiskAccessor({ prefix: join(root, 'dst'), ...FSYNC }),
            structure: sameName,
            priority: 1,
          });
          await target.accessor.makeContainer('', true);
          const component = await session.createComponent(
            join(root, 'seq', `f.%04d.exr [1-${frames}]`),
            {},
            null,
          );
          await target.addComponent(component, session.origin, { concurrency });
        },
        () => rmSync(join(root, 'dst'), { recursive: true, force: true }),
      );
      const cp = await timeRuns(
        RUNS,
        () => runCommand('cp', ['-r', join(root, 'seq'), join(root, 'cpseq')]),
        () => rmSync(join(root, 'cpseq'), { recursive: true, force: true }),
      );
      report(results, {
        scenario: `disk ${frames} frames x 1 MiB (concurrency ${concurrency})`,
        bytes: frames * frame.length,
        stowageMs: median(stowage),
        reference: 'cp -r',
        referenceMs: median(cp),
      });
    }
    rmSync(join(root, 'seq'), { recursive: true, force: true });

    // 3. 10,000 files of 4 KiB as a container.
    const count = Number(process.env.BENCH_SMALL_FILES ?? 10_000);
    mkdirSync(join(root, 'small'));
    const small = Buffer.alloc(4096, 1);
    for (let i = 0; i < count; i++) writeFileSync(join(root, 'small', `f${i}.bin`), small);
    const stowage = await timeRuns(
      RUNS,
      async () => {
        const session = new core.Session({ pluginPaths: [] });
        const target = session.createLocation({
          name: 't',
          accessor: new DiskAccessor({ prefix: join(root, 'dst'), ...FSYNC }),
          structure: sameName,
          priority: 1,
        });
        await target.accessor.makeContainer('', true);
        const component = await session.createComponent(join(root, 'small'), {}, null);
        await target.addComponent(component, session.origin, { concurrency: 16 });
      },
      () => rmSync(join(root, 'dst'), { recursive: true, force: true }),
    );
    const cp = await timeRuns(
      RUNS,
      () => runCommand('cp', ['-r', join(root, 'small'), join(root, 'cpsmall')]),
      () => rmSync(join(root, 'cpsmall'), { recursive: true, force: true }),
    );
    report(results, {
      scenario: `disk ${count} files x 4 KiB (container)`,
      bytes: count * 4096,
      stowageMs: median(stowage),
      reference: 'cp -r',
      referenceMs: median(cp),
    });
    writeResults('disk', results);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
