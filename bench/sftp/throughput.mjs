#!/usr/bin/env node
// SFTP throughput: @stowage/accessor-sftp against the OpenSSH `sftp` client,
// same file, same local sshd (tools/backends), upload and download.
//
//   npm run build   # the accessor is imported from packages/*/dist
//   node bench/sftp/throughput.mjs [--size-mib 256] [--runs 3] [--chunk-kib 128] [--concurrency 32]
//
// Prints MiB/s per run and the best of each, and checks the bytes arrived intact.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { start } from '../../tools/backends/index.mjs';
import { opensshClientArgs } from '../net/references.mjs';

/**
 * Run the comparison. `sftpModule` is @stowage/accessor-sftp (from dist when
 * run as a script). Returns the best MiB/s of each.
 */
export async function runSftpThroughput(
  sftpModule,
  { sizeMiB = 256, runs = 3, chunkSize, concurrency } = {},
) {
  const { SftpAccessor, sftpAccessorOptionsFromEnv } = sftpModule;
  const work = mkdtempSync(join(tmpdir(), 'stowage-bench-sftp-'));
  const backend = await start('sftp');
  const env = backend.env;

  async function sha256(path) {
    const hash = createHash('sha256');
    await pipeline(createReadStream(path), hash);
    return hash.digest('hex');
  }

  function makeSource() {
    const path = join(work, 'source.bin');
    const out = createWriteStream(path);
    const block = randomBytes(1024 * 1024);
    return new Promise((resolve, reject) => {
      let written = 0;
      const next = () => {
        while (written < sizeMiB) {
          written++;
          // Vary each MiB so nothing along the way can deduplicate.
          block.writeUInt32LE(written, 0);
          if (!out.write(Buffer.from(block))) return out.once('drain', next);
        }
        out.end(resolve);
      };
      out.on('error', reject);
      next();
    }).then(() => path);
  }

  async function timed(label, run) {
    const started = process.hrtime.bigint();
    await run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rate = sizeMiB / seconds;
    console.log(
      `  ${label.padEnd(28)} ${seconds.toFixed(2).padStart(6)} s  ${rate.toFixed(1).padStart(7)} MiB/s`,
    );
    return rate;
  }

  function sftpBatch(commands) {
    const batch = join(work, 'batch.txt');
    writeFileSync(batch, `${commands.join('\n')}\n`);
    execFileSync('sftp', ['-b', batch, ...opensshClientArgs(env)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  const best = { accessorUp: 0, accessorDown: 0, opensshUp: 0, opensshDown: 0 };
  try {
    const source = await makeSource();
    const expected = await sha256(source);
    const options = sftpAccessorOptionsFromEnv(env);
    if (chunkSize) options.chunkSize = chunkSize;
    if (concurrency) options.concurrency = concurrency;
    const accessor = new SftpAccessor(options);
    await accessor.makeContainer('bench');
    const remote = join(env.STOWAGE_SFTP_DATA_ROOT, env.STOWAGE_SFTP_FOLDER, 'bench');
    const downloaded = join(work, 'downloaded.bin');

    console.log(`${sizeMiB} MiB, ${runs} runs, sshd on 127.0.0.1:${env.STOWAGE_SFTP_PORT}`);
    for (let run = 1; run <= runs; run++) {
      console.log(`run ${run}`);
      best.accessorUp = Math.max(
        best.accessorUp,
        await timed('accessor upload', () =>
          accessor.write('bench/accessor.bin', createReadStream(source, { highWaterMark: 1 << 20 })),
        ),
      );
      best.accessorDown = Math.max(
        best.accessorDown,
        await timed('accessor download', async () =>
          pipeline(await accessor.createReadStream('bench/accessor.bin'), createWriteStream(downloaded)),
        ),
      );
      if ((await sha256(downloaded)) !== expected) throw new Error('accessor round trip corrupted the data');
      rmSync(downloaded);

      best.opensshUp = Math.max(
        best.opensshUp,
        await timed('OpenSSH sftp put', () =>
          sftpBatch([`put ${source} ${env.STOWAGE_SFTP_FOLDER}/bench/openssh.bin`]),
        ),
      );
      best.opensshDown = Math.max(
        best.opensshDown,
        await timed('OpenSSH sftp get', () =>
          sftpBatch([`get ${env.STOWAGE_SFTP_FOLDER}/bench/openssh.bin ${downloaded}`]),
        ),
      );
      if ((await sha256(join(remote, 'openssh.bin'))) !== expected)
        throw new Error('sftp put corrupted the data');
      rmSync(downloaded);
    }
    await accessor.close();
    console.log('best (MiB/s)');
    console.log(
      `  upload    accessor ${best.accessorUp.toFixed(1)}  OpenSSH sftp ${best.opensshUp.toFixed(1)}`,
    );
    console.log(
      `  download  accessor ${best.accessorDown.toFixed(1)}  OpenSSH sftp ${best.opensshDown.toFixed(1)}`,
    );
  } finally {
    await backend.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return best;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      'size-mib': { type: 'string', default: '256' },
      runs: { type: 'string', default: '3' },
      'chunk-kib': { type: 'string' },
      concurrency: { type: 'string' },
    },
  });
  const sftpModule = await import('../../packages/accessor-sftp/dist/index.js').catch((error) => {
    console.error('Build first (npm run build): cannot import packages/accessor-sftp/dist.');
    throw error;
  });
  await runSftpThroughput(sftpModule, {
    sizeMiB: Number(values['size-mib']),
    runs: Number(values.runs),
    chunkSize: values['chunk-kib'] ? Number(values['chunk-kib']) * 1024 : undefined,
    concurrency: values.concurrency ? Number(values.concurrency) : undefined,
  });
}
