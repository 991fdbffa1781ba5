// Stowage against a reference tool on one network backend (bench/net/backends.mjs;
// rclone everywhere, OpenSSH's sftp too for SFTP: bench/net/references.mjs):
//   1. one large file (BENCH_FILE_SIZE, default 1 GiB) up and down,
//   2. a sequence of BENCH_FRAMES (default 1,000) frames of 1 MiB up and down,
//   3. BENCH_SMALL_FILES (default 10,000) files of 4 KiB as a container, up and down.
// Both sides run as child processes under /usr/bin/time (wall time, peak RSS),
// interleaved in every run and alternating who goes first, so load from other
// work on the machine hits both alike. Times are whole-process wall times
// (start-up, connect, transfer); Stowage's addComponent-only time is in the JSON.
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { start } from '../../tools/backends/index.mjs';
import { machineCpu, median, report, runCommand, writeResults } from '../lib.mjs';
import { BACKENDS } from './backends.mjs';
import { curlReference, opensshReference, rcloneReference } from './references.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CORES = availableParallelism();
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const DIRECTIONS = process.env.BENCH_DIRECTIONS ?? 'up,down';
const CHILD = new URL('./stowage-child.mjs', import.meta.url).pathname;
const LIBRARY_CHILD = new URL('./library-child.mjs', import.meta.url).pathname;
// BENCH_FLOOR=1: a third contender, the bare client library (library-child.mjs);
// BENCH_FLOOR=durable: the same, its downloads written as Stowage publishes
// them (temp name, fsync, rename) instead of to nowhere.
const FLOOR = process.env.BENCH_FLOOR === '1' || process.env.BENCH_FLOOR === 'durable';
const DURABLE_FLOOR = process.env.BENCH_FLOOR === 'durable';

const REFERENCES = {
  rclone: (backend, env, root) => rcloneReference(backend, env, root),
  openssh: (_backend, env, root) => opensshReference(env, root),
  curl: (_backend, env, root) => curlReference(env, root),
};

function fill(path, size) {
  const block = Buffer.alloc(4 * MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = openSync(path, 'w');
  for (let written = 0, n = 0; written < size; written += block.length, n++) {
    // Vary each block so nothing along the way can deduplicate.
    block.writeUInt32LE(n, 0);
    writeSync(fd, block, 0, Math.min(block.length, size - written));
  }
  closeSync(fd);
}

/** Files below `root`/`name`, relative to `root` with / separators. */
function relativeFiles(root, name) {
  if (!statSync(join(root, name)).isDirectory()) return [name];
  return readdirSync(join(root, name), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) =>
      relative(root, join(entry.parentPath ?? entry.path, entry.name))
        .split(sep)
        .join('/'),
    )
    .sort();
}

/** Bytes and files under a local path (to check a download is complete). */
function tally(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return { bytes: stat.size, files: 1 };
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    bytes += statSync(join(entry.parentPath ?? entry.path, entry.name)).size;
    files++;
  }
  return { bytes, files };
}

/** The cases of this benchmark: local source, Stowage path expression, rclone verb (copyto: one file). */
function cases(data) {
  const size = Number(process.env.BENCH_FILE_SIZE ?? GiB);
  const frames = Number(process.env.BENCH_FRAMES ?? 1000);
  const small = Number(process.env.BENCH_SMALL_FILES ?? 10_000);
  return [
    {
      label: `1 file ${size >= GiB ? `${(size / GiB).toFixed(2)} GiB` : `${(size / MiB).toFixed(0)} MiB`}`,
      name: 'big.bin',
      bytes: size,
      files: 1,
      concurrency: 1,
      source: join(data, 'big.bin'),
      make: () => fill(join(data, 'big.bin'), size),
      copy: 'copyto',
    },
    {
      label: `${frames} frames x 1 MiB`,
      name: 'seq',
      bytes: frames * MiB,
      files: frames,
      concurrency: CONCURRENCY,
      source: join(data, 'seq', `f.%04d.exr [1-${frames}]`),
      make: () => {
        mkdirSync(join(data, 'seq'));
        const frame = Buffer.alloc(MiB);
        for (let i = 1; i <= frames; i++) {
          frame.writeUInt32LE(i, 0);
          writeFileSync(join(data, 'seq', `f.${String(i).padStart(4, '0')}.exr`), frame);
        }
      },
      copy: 'copy',
    },
    {
      label: `${small} files x 4 KiB (container)`,
      name: 'small',
      bytes: small * 4096,
      files: small,
      concurrency: CONCURRENCY,
      source: join(data, 'small'),
      make: () => {
        mkdirSync(join(data, 'small'));
        const file = Buffer.alloc(4096, 1);
        for (let i = 0; i < small; i++) {
          file.writeUInt32LE(i, 0);
          writeFileSync(join(data, 'small', `f${i}.bin`), file);
        }
      },
      copy: 'copy',
    },
  ].filter((entry) => (process.env.BENCH_CASES ?? 'big,seq,small').includes(entry.name.slice(0, 3)));
}

/**
 * Run the three cases on `kind`'s backend against `reference` (a key of
 * REFERENCES); results go to bench/results/<name>-<time>.json.
 */
export async function runNetworkScenario(kind, { reference: referenceKey = 'rclone', name = kind } = {}) {
  const backend = BACKENDS[kind];
  if (FLOOR && backend.library === false)
    throw new Error(`BENCH_FLOOR: no client library to measure for ${kind}`);
  const root = mkdtempSync(join(tmpdir(), `stowage-bench-${kind}-`));
  const server = await (backend.start ? backend.start() : start(backend.server));
  const results = [];
  try {
    const env = server.env;
    const reference = await REFERENCES[referenceKey](backend, env, root);
    const remove = backend.remove(env);
    const data = join(root, 'data');
    mkdirSync(data);
    const childEnv = {
      ...process.env,
      ...env,
      STOWAGE_CHECKPOINT_DIR: join(root, 'checkpoints'),
    };
    const profileDir = process.env.BENCH_PROFILE;
    const stamp = Date.now().toString(36);
    console.log(
      `${kind} (${backend.server} on loopback), ${RUNS} runs, concurrency ${CONCURRENCY}, ` +
        `Stowage${FLOOR ? ', the bare client library' : ''} and ${reference.name} interleaved; times are whole-process wall times`,
    );

    // Each step as it finishes, so a long run that dies still leaves its numbers.
    const step = (who, what, run) =>
      console.log(
        `  ${what} ${who}: ${(run.ms / 1000).toFixed(1)} s, ${((run.rssKiB ?? 0) / 1024).toFixed(0)} MiB, ` +
          `CPU ${((run.cpuMs ?? 0) / 1000).toFixed(1)} s` +
          (run.othersCpuMs === undefined ? '' : `, others' CPU ${(run.othersCpuMs / 1000).toFixed(1)} s`) +
          (run.stealMs > 50 ? `, stolen ${(run.stealMs / 1000).toFixed(1)} s` : ''),
      );
    // The rest of the machine's CPU during a step, mostly the loopback server:
    // it shares the cores with the client, so a case whose client + others'
    // CPU nears cores x wall time is bound by CPU on this machine.
    const timed = async (command, args, options) => {
      const before = machineCpu();
      const run = await runCommand(command, args, options);
      const after = machineCpu();
      if (!before || !after || run.cpuMs === undefined) return run;
      return {
        ...run,
        othersCpuMs: Math.max(0, after.busyMs - before.busyMs - run.cpuMs),
        stealMs: after.stealMs - before.stealMs,
      };
    };
    const stowage = async (job) => {
      const resultFile = join(root, 'child-result.json');
      const args = [
        ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
        CHILD,
        JSON.stringify({ ...job, backend: kind, resultFile, poolSize: job.concurrency }),
      ];
      const run = await timed(process.execPath, args, { env: childEnv });
      step('stowage', `${job.op} ${job.remoteDir}`, run);
      return { ...run, ...JSON.parse(readFileSync(resultFile, 'utf8')) };
    };
    const library = async (job) => {
      const resultFile = join(root, 'library-result.json');
      const run = await timed(
        process.execPath,
        [LIBRARY_CHILD, JSON.stringify({ ...job, backend: kind, resultFile })],
        { env: childEnv },
      );
      step('library', `${job.op} ${job.remoteDir}`, run);
      return { ...run, ...JSON.parse(readFileSync(resultFile, 'utf8')) };
    };
    const referenceRun = async ([command, args], what) => {
      const run = await timed(command, args, { env: reference.env });
      step(reference.name, what, run);
      return run;
    };

    for (const item of cases(data)) {
      item.make();
      const listFile = join(root, `files-${item.name}.json`);
      const files = relativeFiles(data, item.name);
      writeFileSync(listFile, JSON.stringify(files));
      const libraryJob = {
        listFile,
        localRoot: data,
        size: item.bytes,
        big: item.files === 1,
        concurrency: Math.max(item.concurrency, 1),
      };
      const up = { stowage: [], reference: [], library: [] };
      const down = { stowage: [], reference: [], library: [] };
      let kept; // the last Stowage upload: both sides download it
      for (let run = 0; run < RUNS; run++) {
        const remoteDir = `bench-${stamp}/s-${item.name}-${run}`;
        const referenceDir = `bench-${stamp}/r-${item.name}-${run}`;
        const steps = [
          async () => {
            const result = await stowage({
              op: 'upload',
              db: join(root, `registry-${item.name}-${run}.db`),
              source: item.source,
              localRoot: data,
              remoteDir,
              concurrency: item.concurrency,
            });
            up.stowage.push(result);
            if (kept) await remove(kept.remoteDir);
            kept = { remoteDir, db: join(root, `registry-${item.name}-${run}.db`), id: result.componentId };
          },
          async () => {
            const command = await reference.upload(item, join(data, item.name), referenceDir, files);
            up.reference.push(await referenceRun(command, `upload ${referenceDir}`));
            await remove(referenceDir);
          },
          async () => {
            const libraryDir = `bench-${stamp}/l-${item.name}-${run}`;
            up.library.push(await library({ ...libraryJob, op: 'upload', remoteDir: libraryDir }));
            await remove(libraryDir);
          },
        ];
        // BENCH_DIRECTIONS=down: Stowage still uploads (the downloads need it), untimed and unreported.
        for (const task of DIRECTIONS.includes('up') ? order(steps, run) : [steps[0]]) await task();
        if (!DIRECTIONS.includes('up')) break;
      }
      for (let run = 0; run < (DIRECTIONS.includes('down') ? RUNS : 0); run++) {
        const stowageDir = join(root, `down-s-${run}`);
        const referenceDir = join(root, `down-r-${run}`);
        const steps = [
          async () => {
            const result = await stowage({
              op: 'download',
              db: kept.db,
              componentId: kept.id,
              localName: `local-${run}`,
              localDir: stowageDir,
              localRoot: data,
              remoteDir: kept.remoteDir,
              concurrency: item.concurrency,
            });
            check('Stowage', tally(join(stowageDir, item.name)), item);
            down.stowage.push(result);
            rmSync(stowageDir, { recursive: true, force: true });
          },
          async () => {
            const command = await reference.download(item, kept.remoteDir, referenceDir, files);
            down.reference.push(await referenceRun(command, `download ${kept.remoteDir}`));
            check(reference.name, tally(join(referenceDir, item.name)), item);
            rmSync(referenceDir, { recursive: true, force: true });
          },
          async () => {
            // To nowhere (or, durable, to files): the child checks the byte count itself.
            const libraryDir = join(root, `down-l-${run}`);
            down.library.push(
              await library({
                ...libraryJob,
                op: 'download',
                remoteDir: kept.remoteDir,
                ...(DURABLE_FLOOR ? { durableDir: libraryDir } : {}),
              }),
            );
            if (DURABLE_FLOOR) check('library', tally(join(libraryDir, item.name)), item);
            rmSync(libraryDir, { recursive: true, force: true });
          },
        ];
        for (const task of order(steps, run)) await task();
      }
      await remove(kept.remoteDir);
      rmSync(join(data, item.name), { recursive: true, force: true });

      for (const [direction, times] of [
        ['disk -> ' + kind, up],
        [kind + ' -> disk', down],
      ].filter(([, times]) => times.stowage.length > 0 && (times !== up || DIRECTIONS.includes('up')))) {
        const peak = (list) =>
          list.length ? Math.max(...list.map((entry) => entry.rssKiB ?? 0)) / 1024 : undefined;
        // The CPU floor: the bare library's CPU plus the rest of the machine's
        // (mostly the server's) during its runs, spread over every core. No
        // client on that library, however many threads it runs, finishes here
        // in less wall time, since the server shares these cores.
        const cpuFloor = (list) =>
          list.every((entry) => entry.cpuMs !== undefined && entry.othersCpuMs !== undefined)
            ? {
                cpuFloorMs: median(list.map((entry) => (entry.cpuMs + entry.othersCpuMs) / CORES)),
                cores: CORES,
              }
            : {};
        // Median CPU seconds of the tool and of the rest of the machine during its steps.
        const cpu = (list) => {
          const seconds = (key) => median(list.map((entry) => entry[key] ?? 0)) / 1000;
          const others = list.every((entry) => entry.othersCpuMs !== undefined);
          return `${seconds('cpuMs').toFixed(1)}${others ? ` + others ${seconds('othersCpuMs').toFixed(1)}` : ''} s`;
        };
        report(results, {
          scenario: `${kind} ${item.label} ${direction}`,
          bytes: item.bytes,
          stowageMs: median(times.stowage.map((entry) => entry.ms)),
          stowageTransferMs: median(times.stowage.map((entry) => entry.transferMs)),
          reference: times.reference.length ? reference.name : undefined,
          referenceMs: times.reference.length ? median(times.reference.map((entry) => entry.ms)) : undefined,
          stowagePeakRssMiB: peak(times.stowage),
          referencePeakRssMiB: peak(times.reference),
          ...(times.library.length
            ? {
                floorMs: median(times.library.map((entry) => entry.ms)),
                floorTransferMs: median(times.library.map((entry) => entry.transferMs)),
                ...cpuFloor(times.library),
              }
            : {}),
          runs: times,
          note:
            `addComponent ${median(times.stowage.map((entry) => entry.transferMs)).toFixed(0)} ms, ` +
            `peak RSS stowage ${peak(times.stowage).toFixed(0)} MiB / ${reference.name} ${peak(times.reference)?.toFixed(0)} MiB, ` +
            `CPU stowage ${cpu(times.stowage)}${times.reference.length ? ` / ${reference.name} ${cpu(times.reference)}` : ''}`,
        });
      }
    }
    writeResults(name, results);
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Stowage then the reference, swapped on odd runs (with BENCH_FLOOR=1, the
 * library too, each going first in turn); BENCH_ONLY=stowage (profiling) drops the others.
 */
function order([stowageStep, referenceStep, libraryStep], run) {
  if (process.env.BENCH_ONLY === 'stowage') return [stowageStep];
  if (FLOOR) {
    const steps = [stowageStep, referenceStep, libraryStep];
    return steps.map((_, index) => steps[(index + run) % steps.length]);
  }
  return run % 2 ? [referenceStep, stowageStep] : [stowageStep, referenceStep];
}

function check(who, got, item) {
  if (got.bytes !== item.bytes || got.files !== item.files)
    throw new Error(`${who} download incomplete: ${got.files} files / ${got.bytes} bytes`);
}
