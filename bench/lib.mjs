// Shared benchmark helpers: timing with medians, peak RSS of child processes,
// reference-vs-Stowage ratios, JSON results. Benchmarks are not timed tests.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RESULTS_DIR = new URL('./results/', import.meta.url).pathname;

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Run `fn` `runs` times after `setup` each time; returns times in ms. */
export async function timeRuns(runs, fn, setup) {
  const times = [];
  for (let run = 0; run < runs; run++) {
    if (setup) await setup(run);
    const start = process.hrtime.bigint();
    await fn(run);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times;
}

/**
 * Run a command; resolves with its wall time (ms), peak RSS (KiB) and CPU time
 * (user + system ms), both from /usr/bin/time.
 */
export function runCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', command, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...options,
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0)
        return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      const [rss, user, system] = (stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
      const cpuMs = Math.round(((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000);
      resolve({
        ms,
        rssKiB: Number.isFinite(rss) ? rss : undefined,
        cpuMs: Number.isFinite(cpuMs) ? cpuMs : undefined,
      });
    });
  });
}

/** Sample this process's RSS every `intervalMs`; `stop()` returns the peak in bytes. */
export function sampleRss(intervalMs = 20) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

export function mib(bytes) {
  return bytes / 1024 / 1024;
}

let msPerTick;

/**
 * CPU time of the whole machine so far, all cores, from /proc/stat (ms);
 * undefined without it. Read around a step: the busy time minus the step's
 * own CPU is what the loopback server (and anything else) used meanwhile, and
 * steal is time the hypervisor gave to other guests, one source of the noise
 * between runs. With C cores, busy / C bounds the step's wall time from below.
 */
export function machineCpu() {
  let line;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
  // cpu user nice system idle iowait irq softirq steal ... (proc(5)), in USER_HZ ticks.
  const [user, nice, system, , , irq, softirq, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  msPerTick ??= 1000 / (Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);
  return { busyMs: (user + nice + system + irq + softirq) * msPerTick, stealMs: steal * msPerTick };
}

/** Run `work(item, worker)` over `items`, `concurrency` at a time (worker: 0 .. concurrency - 1). */
export async function eachLimited(items, concurrency, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async (_, worker) => {
      while (next < items.length) await work(items[next++], worker);
    }),
  );
}

/** Print a comparison row and remember it for the JSON file. */
export function report(results, row) {
  const ratio = row.referenceMs && row.stowageMs ? row.referenceMs / row.stowageMs : undefined;
  const entry = { ...row, ratio };
  results.push(entry);
  const mbps = (ms) => (row.bytes && ms ? `${(mib(row.bytes) / (ms / 1000)).toFixed(1)} MiB/s` : '');
  console.log(
    [
      row.scenario.padEnd(44),
      `stowage ${row.stowageMs?.toFixed(1)} ms ${mbps(row.stowageMs)}`.padEnd(36),
      row.reference
        ? `${row.reference} ${row.referenceMs?.toFixed(1)} ms ${mbps(row.referenceMs)}`.padEnd(40)
        : '',
      ratio ? `ratio ${ratio.toFixed(2)}` : '',
      // The bare client library's time (BENCH_FLOOR=1): the best any tool on it could do here.
      row.floorMs
        ? `library floor ${row.floorMs.toFixed(1)} ms (transfer ${row.floorTransferMs?.toFixed(0)} ms` +
          `${row.referenceMs ? `, ${row.reference}/floor ${(row.referenceMs / row.floorMs).toFixed(2)}` : ''})`
        : '',
      // Its CPU over the cores (bench/net/scenario.mjs): the floor for a client on many threads.
      row.cpuFloorMs
        ? `CPU floor ${row.cpuFloorMs.toFixed(1)} ms on ${row.cores} cores` +
          `${row.referenceMs ? ` (${row.reference}/CPU floor ${(row.referenceMs / row.cpuFloorMs).toFixed(2)})` : ''}`
        : '',
      row.note ?? '',
    ].join(' '),
  );
}

export function writeResults(name, results) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ name, at: new Date().toISOString(), results }, null, 2)}\n`);
  console.log(`results: ${file}`);
}
