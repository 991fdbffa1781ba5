// A transfer run in its own process so the resume suite can kill it
// (SIGKILL: no cleanup code runs). argv[2] is a JSON ResumeChildSpec. Prints
// one `saved <offset>` line per checkpoint, `done` at the end.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Accessor, FileCheckpointStore, OriginAccessor, transferFile } from '@stowage/core';

export interface ResumeChildSpec {
  /** Absolute path of an ESM module exporting the accessor class. */
  accessorModule: string;
  accessorExport: string;
  /** Plain-JSON constructor options. */
  accessorOptions: Record<string, unknown>;
  /** Absolute path of the local source file. */
  source: string;
  resourceIdentifier: string;
  checkpointDirectory: string;
  key: string;
  /** Read the source at most this fast, so the parent can kill the transfer midway. */
  sourceBytesPerSecond: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ResumeChildSpec;
const module = (await import(spec.accessorModule)) as Record<string, new (options: unknown) => unknown>;
const AccessorClass = module[spec.accessorExport];
if (!AccessorClass) throw new Error(`${spec.accessorModule} exports no ${spec.accessorExport}`);
const target = new AccessorClass(spec.accessorOptions) as Accessor;
const origin = new OriginAccessor();
const source = new Proxy(origin, {
  get(object, property) {
    if (property === 'createReadStream') {
      return async (...args: Parameters<Accessor['createReadStream']>) =>
        Readable.from(throttle(await origin.createReadStream(...args)));
    }
    const value = Reflect.get(object, property, object);
    return typeof value === 'function' ? value.bind(object) : value;
  },
});

async function* throttle(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const started = Date.now();
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.length;
    const due = (bytes / spec.sourceBytesPerSecond) * 1000 - (Date.now() - started);
    if (due > 0) await sleep(due);
    yield chunk;
  }
}
const store = new FileCheckpointStore(spec.checkpointDirectory);
// Report each durable offset as the accessor saves it.
const reporting = {
  ...store,
  load: store.load.bind(store),
  remove: store.remove.bind(store),
  lock: store.lock.bind(store),
  async save(key: string, checkpoint: Parameters<FileCheckpointStore['save']>[1]) {
    await store.save(key, checkpoint);
    process.stdout.write(`saved ${Number(checkpoint.state.offset ?? 0)}\n`);
  },
};
await transferFile(source, spec.source, target, spec.resourceIdentifier, {
  checkpoints: { store: reporting, key: spec.key, threshold: 1 },
  // Streamed, as across machines: a local copy fast path has nothing to resume.
  fastPaths: false,
});
process.stdout.write('done\n');
await target.close();
