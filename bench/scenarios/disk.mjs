// Disk -> disk against `cp`: one 1 GiB file, a 1,000-frame sequence of 1 MiB
// frames, and 10,000 files of 4 KiB in a folder. Stowage goes through
// Location.addComponent (registry, structure, verification included) in this
// process; cp runs as a process. Two more contenders show what a copy that
// must survive a crash costs, as Stowage's does: `cp + sync` (cp, then
// coreutils `sync FILE...`, an fsync of every copied file) and `atomic copy`
// (bench/disk/atomic-copy.py: per file a temp name, the bytes, fsync,
// rename, one after another). All run interleaved, each going first in turn.
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, report, runCommand, writeResults } from '../lib.mjs';

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

/** Stowage's addComponent of `path` (a file, a sequence expression or a folder) into `target`. */
async function stowageCopy(path, target, options) {
  const session = new core.Session({ pluginPaths: [] });
  const location = session.createLocation({
    name: 't',
    accessor: new DiskAccessor({ prefix: target, ...FSYNC }),
    structure: sameName,
    priority: 1,
  });
  await location.accessor.makeContainer('', true);
  const component = await session.createComponent(path, {}, null);
  await location.addComponent(component, session.origin, options);
}

/** `cp -r source target`, then (durable) `sync` of every file copied, as one timed shell. */
const cp = (source, target, { durable }) =>
  runCommand('sh', [
    '-c',
    durable ? 'cp -r -- "$1" "$2" && find "$2" -type f -exec sync -- {} +' : 'cp -r -- "$1" "$2"',
    'sh',
    source,
    target,
  ]);

const ATOMIC_COPY = new URL('../disk/atomic-copy.py', import.meta.url).pathname;

/**
 * Time Stowage, cp, cp + sync and the atomic copy on the same source, interleaved over RUNS
 * (each target removed and the page cache's dirty data flushed, untimed,
 * before every step), and report Stowage against both.
 */
async function compare(results, { label, bytes, source, stowageSource, options, root }) {
  const times = { stowage: [], cp: [], durable: [], atomic: [] };
  const target = join(root, 'dst');
  const steps = [
    async () => {
      const start = performance.now();
      await stowageCopy(stowageSource, target, options);
      times.stowage.push(performance.now() - start);
    },
    async () => times.cp.push((await cp(source, target, { durable: false })).ms),
    async () => times.durable.push((await cp(source, target, { durable: true })).ms),
    async () => times.atomic.push((await runCommand('python3', [ATOMIC_COPY, source, target])).ms),
  ];
  for (let run = 0; run < RUNS; run++) {
    for (let index = 0; index < steps.length; index++) {
      rmSync(target, { recursive: true, force: true });
      await runCommand('sync', []);
      await steps[(index + run) % steps.length]();
    }
  }
  rmSync(target, { recursive: true, force: true });
  for (const [reference, key] of [
    ['cp', 'cp'],
    ['cp + sync', 'durable'],
    ['atomic copy', 'atomic'],
  ]) {
    report(results, {
      scenario: `${label} vs ${reference}`,
      bytes,
      stowageMs: median(times.stowage),
      reference,
      referenceMs: median(times[key]),
      runs: times,
    });
  }
}

export async function run() {
  const root = mkdtempSync(join(tmpdir(), 'stowage-bench-disk-'));
  const results = [];
  try {
    // 1. One 1 GiB file, streamed and with copyFile (fastPaths).
    const size = Number(process.env.BENCH_FILE_SIZE ?? GiB);
    mkdirSync(join(root, 'src'));
    const big = join(root, 'src', 'big.bin');
    fill(big, size);
    for (const fastPaths of [false, true]) {
      await compare(results, {
        label: `disk 1 file ${(size / GiB).toFixed(2)} GiB ${fastPaths ? '(copyFile)' : '(streamed)'}`,
        bytes: size,
        source: big,
        stowageSource: big,
        options: { fastPaths },
        root,
      });
    }
    rmSync(join(root, 'src'), { recursive: true, force: true });

    // 2. 1,000 frames of 1 MiB.
    const frames = Number(process.env.BENCH_FRAMES ?? 1000);
    mkdirSync(join(root, 'seq'));
    const frame = Buffer.alloc(1024 * 1024, 7);
    for (let i = 1; i <= frames; i++) {
      frame.writeUInt32LE(i, 0);
      writeFileSync(join(root, 'seq', `f.${String(i).padStart(4, '0')}.exr`), frame);
    }
    for (const concurrency of [4, 8]) {
      await compare(results, {
        label: `disk ${frames} frames x 1 MiB (concurrency ${concurrency})`,
        bytes: frames * frame.length,
        source: join(root, 'seq'),
        stowageSource: join(root, 'seq', `f.%04d.exr [1-${frames}]`),
        options: { concurrency },
        root,
      });
    }
    rmSync(join(root, 'seq'), { recursive: true, force: true });

    // 3. 10,000 files of 4 KiB as a container.
    const count = Number(process.env.BENCH_SMALL_FILES ?? 10_000);
    mkdirSync(join(root, 'small'));
    const small = Buffer.alloc(4096, 1);
    for (let i = 0; i < count; i++) {
      small.writeUInt32LE(i, 0);
      writeFileSync(join(root, 'small', `f${i}.bin`), small);
    }
    await compare(results, {
      label: `disk ${count} files x 4 KiB (container)`,
      bytes: count * 4096,
      source: join(root, 'small'),
      stowageSource: join(root, 'small'),
      options: { concurrency: 16 },
      root,
    });
    writeResults('disk', results);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
