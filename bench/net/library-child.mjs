// The floor of one network benchmark step (BENCH_FLOOR=1): the same files
// moved by the client library Stowage is built on (ssh2, basic-ftp, the AWS
// SDK, @azure/storage-blob) with nothing of Stowage around it, at the same
// concurrency, in its own process like the other two contenders.
//   node library-child.mjs '<job JSON>'   (backend settings come from the environment)
// Downloads go to nowhere (bytes counted, never written), uploads read the
// local files through the library's own upload call. No temp names, no
// hashes, no registry, no fsync: a lower bound for any tool on that library.
// When this floor is slower than rclone's whole copy, a ratio >= 1.0 cannot
// be reached with that library on this machine.
// With job.durableDir (BENCH_FLOOR=durable), downloads are written there as
// Stowage publishes a file, and nothing more: temp name, fsync, rename. That
// is the bound for a tool that must not lose a file it reported done.
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eachLimited } from '../lib.mjs';

const job = JSON.parse(process.argv[2]);
const env = process.env;
/** Relative paths of the files (the same below the local root and the remote folder). */
const files = JSON.parse(readFileSync(job.listFile, 'utf8'));
const RANGE = 16 * 1024 * 1024;

let received = 0;
const nowhere = () =>
  new Writable({
    write(chunk, _encoding, callback) {
      received += chunk.length;
      callback();
    },
  });

const folders = (paths) => [...new Set(paths.map((path) => posix.dirname(path)))];
/** Start offsets of a large file's RANGE-sized pieces. */
const rangeStarts = (size) => Array.from({ length: Math.ceil(size / RANGE) }, (_, index) => index * RANGE);

const madeFolders = new Set();
/** Durable downloads: `write(temp)` fills a temp file, which is fsynced, counted and renamed to its name. */
async function publish(path, write) {
  const target = join(job.durableDir, path);
  const folder = dirname(target);
  if (!madeFolders.has(folder)) {
    await mkdir(folder, { recursive: true });
    madeFolders.add(folder);
  }
  const temp = `${target}.part`;
  await write(temp);
  const handle = await open(temp, 'r+');
  try {
    await handle.sync();
    // Not `received += await ...`: that reads `received` before the await, losing concurrent updates.
    const { size } = await handle.stat();
    received += size;
  } finally {
    await handle.close();
  }
  await rename(temp, target);
}

/** Write a large download's ranges into one file at their offsets. */
async function publishRanges(path, size, readRange) {
  await publish(path, async (temp) => {
    const created = await open(temp, 'w');
    await created.truncate(size);
    await created.close();
    await eachLimited(rangeStarts(size), 4, async (start) =>
      pipeline(
        await readRange(start, Math.min(start + RANGE, size) - 1),
        createWriteStream(temp, { flags: 'r+', start }),
      ),
    );
  });
}

const backends = {
  async sftp() {
    const { Client } = await import('ssh2');
    const root = env.STOWAGE_SFTP_FOLDER ?? '.';
    const sessions = await Promise.all(
      Array.from({ length: job.concurrency }, () => {
        const client = new Client();
        return new Promise((resolve, reject) => {
          client
            .on('ready', () =>
              client.sftp((error, sftp) => (error ? reject(error) : resolve({ client, sftp }))),
            )
            .on('error', reject)
            .connect({
              host: env.STOWAGE_SFTP_HOST,
              port: Number(env.STOWAGE_SFTP_PORT ?? 22),
              username: env.STOWAGE_SFTP_USERNAME,
              privateKey: readFileSync(env.STOWAGE_SFTP_PRIVATE_KEY_PATH),
            });
        });
      }),
    );
    const call = (sftp, method, ...args) =>
      new Promise((resolve, reject) => sftp[method](...args, (error) => (error ? reject(error) : resolve())));
    const remote = (path) => posix.join(root, job.remoteDir, path);
    if (job.op === 'upload') {
      for (const folder of folders(files.map(remote))) {
        let path = '';
        for (const part of folder.split('/')) {
          path = path ? `${path}/${part}` : part || '/';
          await call(sessions[0].sftp, 'mkdir', path).catch(() => {});
        }
      }
    }
    await eachLimited(files, job.concurrency, (path, worker) => {
      const { sftp } = sessions[worker];
      // fastGet/fastPut: ssh2's own pipelined transfers (64 requests of 32 KiB in flight).
      if (job.op === 'upload') return call(sftp, 'fastPut', join(job.localRoot, path), remote(path));
      if (job.durableDir) return publish(path, (temp) => call(sftp, 'fastGet', remote(path), temp));
      return call(sftp, 'fastGet', remote(path), '/dev/null', {
        step: (_total, chunk) => {
          received += chunk;
        },
      });
    });
    for (const { client } of sessions) client.end();
  },

  async ftp() {
    const { Client } = await import('basic-ftp');
    const clients = await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        const client = new Client(0);
        await client.access({
          host: env.STOWAGE_FTP_HOST,
          port: Number(env.STOWAGE_FTP_PORT),
          user: env.STOWAGE_FTP_USER,
          password: env.STOWAGE_FTP_PASSWORD,
        });
        return client;
      }),
    );
    const remote = (path) => posix.join(job.remoteDir, path);
    if (job.op === 'upload') {
      const home = await clients[0].pwd();
      for (const folder of folders(files.map(remote))) {
        await clients[0].ensureDir(folder);
        await clients[0].cd(home);
      }
    }
    await eachLimited(files, job.concurrency, async (path, worker) => {
      const client = clients[worker];
      if (job.op === 'upload')
        await client.uploadFrom(createReadStream(join(job.localRoot, path)), remote(path));
      else if (job.durableDir) await publish(path, (temp) => client.downloadTo(temp, remote(path)));
      else await client.downloadTo(nowhere(), remote(path));
    });
    for (const client of clients) client.close();
  },

  async s3() {
    const { S3Client, GetObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const { Upload } = await import('@aws-sdk/lib-storage');
    const client = new S3Client({
      endpoint: env.STOWAGE_TEST_S3_ENDPOINT,
      region: env.STOWAGE_TEST_S3_REGION,
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.STOWAGE_TEST_S3_ACCESS_KEY_ID,
        secretAccessKey: env.STOWAGE_TEST_S3_SECRET_ACCESS_KEY,
      },
      // No checksums: the cheapest requests the SDK can send.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const Bucket = env.STOWAGE_TEST_S3_BUCKET;
    const key = (path) => posix.join(job.remoteDir, path);
    if (job.big && job.op === 'upload') {
      await new Upload({
        client,
        params: { Bucket, Key: key(files[0]), Body: createReadStream(join(job.localRoot, files[0])) },
        partSize: RANGE,
        queueSize: 4,
      }).done();
    } else if (job.big && job.durableDir) {
      await publishRanges(files[0], job.size, async (start, end) => {
        const { Body } = await client.send(
          new GetObjectCommand({ Bucket, Key: key(files[0]), Range: `bytes=${start}-${end}` }),
        );
        return Body;
      });
    } else if (job.big) {
      // Four ranges in flight, as Stowage and rclone both read a large object.
      await eachLimited(rangeStarts(job.size), 4, async (start) => {
        const end = Math.min(start + RANGE, job.size) - 1;
        const { Body } = await client.send(
          new GetObjectCommand({ Bucket, Key: key(files[0]), Range: `bytes=${start}-${end}` }),
        );
        await pipeline(Body, nowhere());
      });
    } else {
      await eachLimited(files, job.concurrency, async (path) => {
        if (job.op === 'upload') {
          await client.send(
            new PutObjectCommand({ Bucket, Key: key(path), Body: readFileSync(join(job.localRoot, path)) }),
          );
        } else if (job.durableDir) {
          await publish(path, async (temp) => {
            const { Body } = await client.send(new GetObjectCommand({ Bucket, Key: key(path) }));
            await pipeline(Body, createWriteStream(temp));
          });
        } else {
          const { Body } = await client.send(new GetObjectCommand({ Bucket, Key: key(path) }));
          await pipeline(Body, nowhere());
        }
      });
    }
    client.destroy();
  },

  async azure() {
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const container = BlobServiceClient.fromConnectionString(
      env.STOWAGE_TEST_AZURE_CONNECTION_STRING,
    ).getContainerClient(env.STOWAGE_TEST_AZURE_CONTAINER);
    const blob = (path) => container.getBlockBlobClient(posix.join(job.remoteDir, path));
    if (job.big && job.op === 'upload') {
      await blob(files[0]).uploadFile(join(job.localRoot, files[0]), { blockSize: RANGE, concurrency: 4 });
    } else if (job.big && job.durableDir) {
      await publishRanges(
        files[0],
        job.size,
        async (start, end) => (await blob(files[0]).download(start, end - start + 1)).readableStreamBody,
      );
    } else if (job.big) {
      await eachLimited(rangeStarts(job.size), 4, async (start) => {
        const response = await blob(files[0]).download(start, Math.min(RANGE, job.size - start));
        await pipeline(response.readableStreamBody, nowhere());
      });
    } else {
      await eachLimited(files, job.concurrency, async (path) => {
        if (job.op === 'upload') await blob(path).uploadData(readFileSync(join(job.localRoot, path)));
        else if (job.durableDir)
          await publish(path, async (temp) =>
            pipeline((await blob(path).download()).readableStreamBody, createWriteStream(temp)),
          );
        else await pipeline((await blob(path).download()).readableStreamBody, nowhere());
      });
    }
  },
};

const start = performance.now();
await backends[job.backend]();
const transferMs = performance.now() - start;
if (job.op === 'download' && received !== job.size)
  throw new Error(`library floor: received ${received} bytes, expected ${job.size}`);
writeFileSync(job.resultFile, JSON.stringify({ transferMs }));
