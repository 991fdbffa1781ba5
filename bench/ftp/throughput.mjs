#!/usr/bin/env node
// FTP/FTPS throughput: @stowage/accessor-ftp against curl, same file, same
// local proftpd and vsftpd (tools/backends), plain and explicit FTPS.
//
//   npm run build   # the accessor is imported from packages/accessor-ftp/dist
//   node bench/ftp/throughput.mjs [--size-mib 256] [--runs 2]
//
// Prints MiB/s per transfer and checks the bytes arrived intact.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { start } from '../../tools/backends/index.mjs';

const { values } = parseArgs({
  options: { 'size-mib': { type: 'string', default: '256' }, runs: { type: 'string', default: '2' } },
});
const sizeMiB = Number(values['size-mib']);
const runs = Number(values.runs);
const { FtpAccessor } = await import('../../packages/accessor-ftp/dist/index.js').catch((error) => {
  console.error('Build first (npm run build): cannot import packages/accessor-ftp/dist.');
  throw error;
});

const work = mkdtempSync(join(tmpdir(), 'stowage-bench-ftp-'));
const source = join(work, 'source.bin');
const downloaded = join(work, 'downloaded.bin');

async function sha256(path) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function makeSource() {
  const out = createWriteStream(source);
  const block = randomBytes(1024 * 1024);
  for (let mib = 0; mib < sizeMiB; mib++) {
    block.writeUInt32LE(mib, 0);
    if (!out.write(Buffer.from(block))) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve) => out.end(resolve));
}

async function timed(run) {
  const started = process.hrtime.bigint();
  await run();
  return sizeMiB / (Number(process.hrtime.bigint() - started) / 1e9);
}

await makeSource();
const expected = await sha256(source);
const rows = [];
for (const server of ['proftpd', 'vsftpd']) {
  const backend = await start(server);
  const env = (suffix) => backend.env[`STOWAGE_${server.toUpperCase()}_${suffix}`];
  try {
    for (const secure of [false, true]) {
      const label = `${server} ${secure ? 'FTPS' : 'plain'}`;
      const accessor = new FtpAccessor({
        host: env('HOST'),
        port: Number(env('PORT')),
        user: env('USER'),
        password: env('PASSWORD'),
        secure,
        ...(secure ? { secureOptions: { ca: readFileSync(env('CA_FILE')) } } : {}),
      });
      // curl reads the password from a netrc file, never the command line.
      const netrc = join(work, 'netrc');
      execFileSync('sh', [
        '-c',
        `umask 077; printf 'machine %s login %s password %s\\n' "$0" "$1" "$2" > "$3"`,
        env('HOST'),
        env('USER'),
        env('PASSWORD'),
        netrc,
      ]);
      const curlBase = [
        '-s',
        '-S',
        '--netrc-file',
        netrc,
        ...(secure ? ['--ssl-reqd', '--cacert', env('CA_FILE')] : []),
      ];
      const url = (name) => `ftp://${env('HOST')}:${env('PORT')}/${name}`;
      const best = { up: 0, down: 0, curlUp: 0, curlDown: 0 };
      for (let run = 0; run < runs; run++) {
        const name = `bench-${secure ? 's' : 'p'}-${run}.bin`;
        best.up = Math.max(
          best.up,
          await timed(() => accessor.write(name, createReadStream(source, { highWaterMark: 1 << 20 }))),
        );
        best.down = Math.max(
          best.down,
          await timed(async () =>
            pipeline(await accessor.createReadStream(name), createWriteStream(downloaded)),
          ),
        );
        if ((await sha256(downloaded)) !== expected)
          throw new Error(`${label}: accessor round trip corrupted the data`);
        best.curlUp = Math.max(
          best.curlUp,
          await timed(() => execFileSync('curl', [...curlBase, '-T', source, url(`curl-${name}`)])),
        );
        best.curlDown = Math.max(
          best.curlDown,
          await timed(() => execFileSync('curl', [...curlBase, '-o', downloaded, url(`curl-${name}`)])),
        );
        if ((await sha256(downloaded)) !== expected)
          throw new Error(`${label}: curl round trip corrupted the data`);
        await accessor.remove(name);
      }
      await accessor.close();
      rows.push({
        backend: label,
        'upload MiB/s': best.up.toFixed(0),
        'curl upload': best.curlUp.toFixed(0),
        'ratio up': (best.up / best.curlUp).toFixed(2),
        'download MiB/s': best.down.toFixed(0),
        'curl download': best.curlDown.toFixed(0),
        'ratio down': (best.down / best.curlDown).toFixed(2),
      });
    }
  } finally {
    await backend.stop();
  }
}
rmSync(work, { recursive: true, force: true });
console.log(`${sizeMiB} MiB, best of ${runs} runs (ratio = curl time / Stowage time; > 1 = Stowage faster)`);
console.table(rows);
