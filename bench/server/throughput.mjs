#!/usr/bin/env node
// Server location throughput: @stowage/accessor-server uploading to and
// downloading from @stowage/file-server (disk-backed, its own process),
// directly and behind Debian's nginx (X-Accel-Redirect for downloads), with
// curl on the same signed URLs as the reference.
//
//   npm run build   # imports packages/*/dist
//   node bench/server/throughput.mjs [--size-mib 1024] [--runs 1]
//
// Prints MiB/s per transfer and checks the bytes arrived intact.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { start } from '../../tools/backends/index.mjs';
import { startFileServer } from '../net/file-server.mjs';

const { values } = parseArgs({
  options: { 'size-mib': { type: 'string', default: '1024' }, runs: { type: 'string', default: '1' } },
});
const sizeMiB = Number(values['size-mib']);
const runs = Number(values.runs);
const { ServerAccessor } = await import('../../packages/accessor-server/dist/index.js').catch((error) => {
  console.error('Build first (npm run build): cannot import packages/accessor-server/dist.');
  throw error;
});

const work = mkdtempSync(join(tmpdir(), 'stowage-bench-server-'));
const source = join(work, 'source.bin');
const downloaded = join(work, 'downloaded.bin');

async function makeSource() {
  const out = createWriteStream(source);
  const chunk = randomBytes(1024 * 1024);
  for (let i = 0; i < sizeMiB; i++) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  await new Promise((resolve) => out.end(resolve));
}

const md5File = (path) =>
  new Promise((resolve, reject) => {
    const hash = createHash('md5');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });

const mibps = (ms) => (sizeMiB / (ms / 1000)).toFixed(0);

async function measure(label, base, expected, { STOWAGE_SERVER_USER: USER, STOWAGE_SERVER_API_KEY: KEY }) {
  const accessor = new ServerAccessor({ url: base, user: USER, apiKey: KEY });
  const results = [];
  for (let run = 0; run < runs; run++) {
    const id = `bench/run${run}.bin`;
    let t = performance.now();
    await accessor.write(id, createReadStream(source, { highWaterMark: 1024 * 1024 }), {
      size: sizeMiB * 1024 * 1024,
    });
    const up = performance.now() - t;
    t = performance.now();
    await pipeline(await accessor.createReadStream(id), createWriteStream(downloaded));
    const down = performance.now() - t;
    if ((await md5File(downloaded)) !== expected) throw new Error(`${label}: downloaded bytes differ`);

    // curl on the same kind of signed URLs, as the reference client.
    const auth = ['-H', `x-stowage-api-user: ${USER}`, '-H', `x-stowage-api-key: ${KEY}`];
    const api = (path, body) =>
      JSON.parse(
        execFileSync('curl', [
          '-sS',
          '-X',
          'POST',
          ...auth,
          '-H',
          'content-type: application/json',
          '--data',
          JSON.stringify(body),
          `${base}/api/${path}`,
        ]),
      );
    const curlId = `bench/curl${run}.bin`;
    const meta = api('upload-metadata', { componentId: curlId, overwrite: true });
    t = performance.now();
    execFileSync('curl', ['-sS', '-f', '-o', '/dev/null', '-T', source, meta.url]);
    const curlUp = performance.now() - t;
    const { url } = api('sign', { action: 'get', componentId: curlId });
    t = performance.now();
    execFileSync('curl', ['-sS', '-f', '-o', downloaded, url]);
    const curlDown = performance.now() - t;
    if (statSync(downloaded).size !== sizeMiB * 1024 * 1024) throw new Error(`${label}: curl download size`);
    await accessor.remove(id);
    await accessor.remove(curlId);
    results.push({ up, down, curlUp, curlDown });
  }
  const best = (key) => Math.min(...results.map((r) => r[key]));
  console.log(
    `${label.padEnd(22)} upload ${mibps(best('up')).padStart(5)} MiB/s (curl ${mibps(best('curlUp'))})   ` +
      `download ${mibps(best('down')).padStart(5)} MiB/s (curl ${mibps(best('curlDown'))})`,
  );
}

try {
  await makeSource();
  const expected = await md5File(source);
  console.log(`${sizeMiB} MiB, best of ${runs}, node ${process.version}`);
  const direct = await startFileServer();
  try {
    await measure('direct', direct.url, expected, direct.env);
  } finally {
    await direct.stop();
  }
  const accel = await startFileServer({ STOWAGE_FILE_SERVER_ACCEL_REDIRECT: '/protected/' });
  const nginx = await start('nginx', { upstreamPort: accel.port, protectedRoot: accel.root });
  try {
    await measure('behind nginx (accel)', nginx.env.STOWAGE_NGINX_URL, expected, accel.env);
  } finally {
    await nginx.stop();
    await accel.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
