#!/usr/bin/env node
// node bench/azure/throughput.mjs [MiB=1024] [blockMiB=8] [concurrency=4] [no-block-md5]
// Upload and download one file through AzureBlobAccessor against Azurite
// (disk mode, started here) or STOWAGE_TEST_AZURE_CONNECTION_STRING; prints
// MB/s each way, the SDK's own uploadStream/download in the same run for
// reference, and the peak RSS of this process during the accessor's upload.
// Build first: npx nx run @stowage/accessor-azure:build
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AzureBlobAccessor } from '../../packages/accessor-azure/dist/index.js';
import { start } from '../../tools/backends/index.mjs';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 1024);
const blockMiB = Number(process.argv[3] ?? 8);
const concurrency = Number(process.argv[4] ?? 4);
const blockMd5 = process.argv[5] !== 'no-block-md5';

const backend = await start('azure');
const dir = await mkdtemp(join(tmpdir(), 'stowage-bench-azure-'));
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

  const accessor = new AzureBlobAccessor({
    connectionString: backend.env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
    container: backend.env.STOWAGE_TEST_AZURE_CONTAINER,
    prefix: `bench-${Date.now()}`,
    blockSize: blockMiB * MiB,
    concurrency,
    blockMd5,
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
  // A whole-blob read: bytes are also checked against the stored Content-MD5.
  for await (const chunk of await accessor.createReadStream('big.bin')) received += chunk.length;
  const downSeconds = (performance.now() - t0) / 1000;
  if (received !== written.size) throw new Error(`read ${received} of ${written.size} bytes`);
  // Reference in the same run: the SDK's own uploadStream / download, same block shape.
  const raw = accessor.containerClient.getBlockBlobClient(`${accessor.rootPrefix}raw.bin`);
  t0 = performance.now();
  await raw.uploadStream(createReadStream(file, { highWaterMark: MiB }), blockMiB * MiB, concurrency);
  const rawUpSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  let rawReceived = 0;
  for await (const chunk of (await raw.download(0)).readableStreamBody) rawReceived += chunk.length;
  const rawDownSeconds = (performance.now() - t0) / 1000;
  if (rawReceived !== written.size) throw new Error(`raw read ${rawReceived} of ${written.size} bytes`);
  await accessor.removeContainer('', { recursive: true });
  await accessor.close();

  const mb = (sizeMiB * MiB) / 1e6;
  const result = {
    sizeMiB,
    blockMiB,
    concurrency,
    blockMd5,
    uploadMBps: +(mb / upSeconds).toFixed(1),
    uploadMiBps: +(sizeMiB / upSeconds).toFixed(1),
    downloadMBps: +(mb / downSeconds).toFixed(1),
    downloadMiBps: +(sizeMiB / downSeconds).toFixed(1),
    sdkUploadStreamMBps: +(mb / rawUpSeconds).toFixed(1),
    sdkDownloadMBps: +(mb / rawDownSeconds).toFixed(1),
    rssBeforeMiB: +(baseline / MiB).toFixed(1),
    peakRssDuringUploadMiB: +(peak / MiB).toFixed(1),
    maxRssProcessMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
  await backend.stop();
}
