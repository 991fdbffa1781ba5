// The Stowage side of one network benchmark step, in its own process so
// /usr/bin/time measures its wall time and peak RSS the same way as rclone's.
//   node stowage-child.mjs '<job JSON>'   (backend settings come from the environment)
// upload:   origin path -> remote location (registry: a fresh SQLite file)
// download: the registered component, remote location -> a disk location
// Writes {componentId, transferMs} to job.resultFile; transferMs covers addComponent only.
// Defaults everywhere (checkpoints too: STOWAGE_CHECKPOINT_DIR points into the bench's temp dir).
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { BACKENDS } from './backends.mjs';

const job = JSON.parse(process.argv[2]);
const requests = process.env.BENCH_COUNT_REQUESTS === '1' ? countRequests(job.backend) : undefined;
const core = await import('../../packages/core/dist/index.js');
const { DiskAccessor } = await import('../../packages/accessor-disk/dist/index.js');
const { SqliteRegistry } = await import('../../packages/registry-sqlite/dist/index.js');

/** Keep the path below `from`, put it below `to`: same layout on both sides. */
function rebase(from, to) {
  return {
    getResourceIdentifier(_component, context) {
      const source = context.sourceResourceIdentifier;
      if (!source.startsWith(`${from}/`)) throw new Error(`${source} is not under ${from}`);
      return `${to ? `${to}/` : ''}${source.slice(from.length + 1)}`;
    },
  };
}

const session = new core.Session({
  registry: new SqliteRegistry({ path: job.db }),
  pluginPaths: [],
});
const remote = session.createLocation({
  name: 'remote',
  accessor: await BACKENDS[job.backend].accessor(process.env, { poolSize: job.poolSize }),
  structure: rebase(job.localRoot, job.remoteDir),
  priority: 10,
});

let component;
let transferMs;
if (job.op === 'upload') {
  component = await session.createComponent(job.source, {}, null);
  const start = performance.now();
  await remote.addComponent(component, session.origin, { concurrency: job.concurrency });
  transferMs = performance.now() - start;
} else {
  const local = session.createLocation({
    name: job.localName,
    // BENCH_DISK_FSYNC=0 (diagnostics only): measure what the per-file fsync costs.
    // BENCH_SMALL_FILE_THREADS (diagnostics): 0 streams small files on the main thread.
    accessor: new DiskAccessor({
      prefix: job.localDir,
      ...(process.env.BENCH_DISK_FSYNC === '0' ? { fsync: false } : {}),
      ...(process.env.BENCH_SMALL_FILE_THREADS
        ? { smallFileThreads: Number(process.env.BENCH_SMALL_FILE_THREADS) }
        : {}),
    }),
    structure: rebase(job.remoteDir, ''),
    priority: 20,
  });
  await local.accessor.makeContainer('', true);
  component = await session.getComponent(job.componentId);
  const start = performance.now();
  await local.addComponent(component, remote, { concurrency: job.concurrency });
  transferMs = performance.now() - start;
}
await session.close();
writeFileSync(
  job.resultFile,
  JSON.stringify({ componentId: component.id, transferMs, ...(requests ? { requests } : {}) }),
);

/**
 * Diagnostics (BENCH_COUNT_REQUESTS=1): count protocol requests by kind, to
 * show per-file round trips. Patches the client libraries' prototypes, so
 * only for profiling runs, never for timed ones.
 */
function countRequests(backend) {
  const counts = {};
  const count = (key) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  const packageRequire = (name) =>
    createRequire(new URL(`../../packages/${name}/package.json`, import.meta.url).pathname);
  if (backend === 'sftp') {
    const { SFTP } = packageRequire('accessor-sftp')('ssh2/lib/protocol/SFTP.js');
    for (const name of Object.getOwnPropertyNames(SFTP.prototype)) {
      const original = SFTP.prototype[name];
      if (typeof original !== 'function' || !/^[a-z]/.test(name) || /^(push|end|destroy)$/.test(name))
        continue;
      SFTP.prototype[name] = function (...args) {
        count(name);
        return original.apply(this, args);
      };
    }
  } else if (backend === 'ftp') {
    const { FTPContext } = packageRequire('accessor-ftp')('basic-ftp');
    const original = FTPContext.prototype.request;
    FTPContext.prototype.request = function (command, ...rest) {
      count(String(command).split(' ')[0]);
      return original.call(this, command, ...rest);
    };
  } else {
    // New TCP connections: a keep-alive pool should open few.
    const connect = net.Socket.prototype.connect;
    net.Socket.prototype.connect = function (...args) {
      count('tcp connect');
      return connect.apply(this, args);
    };
    // S3 and Azure: one HTTP request per API call; key = method + query parameter names.
    const original = http.request;
    http.request = function (...args) {
      const options = typeof args[0] === 'object' && !(args[0] instanceof URL) ? args[0] : (args[1] ?? {});
      const query = String(options.path ?? '').split('?')[1] ?? '';
      const names = [...new URLSearchParams(query).keys()].filter((key) => !key.startsWith('X-Amz'));
      count(`${options.method ?? 'GET'} ${names.sort().join('&')}`.trim());
      return original.apply(this, args);
    };
  }
  return counts;
}
