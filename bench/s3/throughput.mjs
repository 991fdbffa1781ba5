#!/usr/bin/env node
// node bench/s3/throughput.mjs [MiB=1024] [partMiB=8] [queueSize=4]
// Upload and download one file through S3Accessor against versitygw (started
// here) or the server STOWAGE_TEST_S3_* points at; prints MB/s each way and
// the peak RSS of this process during the upload.
// Build first: npx nx run @stowage/accessor-s3:build
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { S3Accessor, s3AccessorOptionsFromEnv } from '../../packages/accessor-s3/dist/index.js';
import { start } from '../../tools/backends/index.mjs';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 1024);
const partMiB = Number(process.argv[3] ?? 8);
const queueSize = Number(process.argv[4] ?? 4);

const backend = await start('s3');
const dir = await mkdtemp(join(tmpdir(), 'stowage-bench-s3-'));
const file = join(dir, 'source.bin');
try {
  // Source file: pseudo-random 1 MiB pattern, varied per MiB.
  const pattern = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i += 4) pattern.writeUInt32LE((i * 2654435761) >>> 0, i);
  await pipeline(
    (async function* () {
      for (let i = 0; i < sizeMiB; i++) {
        const chunk = Buffer.from(pattern);
        chunk.writeUInt32LE(i, 0);
        yield chunk;
      }
    })(),
    createWriteStream(file),
  );

  const accessor = new S3Accessor({
    ...s3AccessorOptionsFromEnv({ ...process.env, ...backend.env }),
    prefix: `bench-${Date.now()}`,
    partSize: partMiB * MiB,
    queueSize,
  });
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  let t0 = performance.now();
  const written = await accessor.write('big.bin', createReadStream(file, { highWaterMark: MiB }), {
    size: sizeMiB * MiB,
  });
  const upSeconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);

  t0 = performance.now();
  let received = 0;
  for await (const chunk of await accessor.createReadStream('big.bin')) received += chunk.length;
  const downSeconds = (performance.now() - t0) / 1000;
  if (received !== written.size) throw new Error(`read ${received} of ${written.size} bytes`);
  await accessor.removeContainer('', { recursive: true });
  await accessor.close();

  const mb = (sizeMiB * MiB) / 1e6;
  const result = {
    server: backend.env.STOWAGE_TEST_S3_EXTERNAL ? 'external (STOWAGE_TEST_S3_*)' : 'versitygw v1.8.0 posix',
    sizeMiB,
    partMiB,
    queueSize,
    uploadMBps: +(mb / upSeconds).toFixed(1),
    uploadMiBps: +(sizeMiB / upSeconds).toFixed(1),
    downloadMBps: +(mb / downSeconds).toFixed(1),
    downloadMiBps: +(sizeMiB / downSeconds).toFixed(1),
    rssBeforeMiB: +(baseline / MiB).toFixed(1),
    peakRssDuringUploadMiB: +(peak / MiB).toFixed(1),
    maxRssProcessMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
  await backend.stop();
}
