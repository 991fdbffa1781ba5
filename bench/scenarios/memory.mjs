// Peak RSS of a streamed disk -> disk transfer (copy fast path off) of a
// 64 MiB file and of a 4 GiB file, each in a fresh child process, sampled with
// process.memoryUsage().rss. Target: the 4 GiB peak within 64 MiB of the 64 MiB peak.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report, writeResults } from '../lib.mjs';

const child = new URL('./memory-child.mjs', import.meta.url).pathname;

export async function run() {
  const results = [];
  const root = mkdtempSync(join(tmpdir(), 'stowage-bench-mem-'));
  try {
    const sizes = (process.env.BENCH_MEMORY_SIZES ?? `${64 * 1024 ** 2},${4 * 1024 ** 3}`)
      .split(',')
      .map(Number);
    const peaks = [];
    for (const size of sizes) {
      const output = execFileSync(process.execPath, [child, root, String(size)], { encoding: 'utf8' });
      const { peakRss, baselineRss, ms } = JSON.parse(output.trim().split('\n').at(-1));
      peaks.push(peakRss);
      report(results, {
        scenario: `memory: streamed ${(size / 1024 ** 2).toFixed(0)} MiB`,
        bytes: size,
        stowageMs: ms,
        note: `peak RSS ${(peakRss / 1024 ** 2).toFixed(1)} MiB (baseline ${(baselineRss / 1024 ** 2).toFixed(1)} MiB, growth ${((peakRss - baselineRss) / 1024 ** 2).toFixed(1)} MiB)`,
      });
    }
    if (peaks.length === 2) {
      const delta = (peaks[1] - peaks[0]) / 1024 ** 2;
      console.log(
        `peak RSS difference largest - smallest: ${delta.toFixed(1)} MiB (target < 64 MiB): ${delta < 64 ? 'MET' : 'MISSED'}`,
      );
      results.push({ scenario: 'memory delta', deltaMiB: delta, met: delta < 64 });
    }
    writeResults('memory', results);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
