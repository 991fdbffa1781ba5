// One streamed transfer of `size` bytes; prints {peakRss, baselineRss, ms} as JSON.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sampleRss } from '../lib.mjs';

const [root, sizeText] = process.argv.slice(2);
const size = Number(sizeText);
const core = await import('../../packages/core/dist/index.js');
const { DiskAccessor } = await import('../../packages/accessor-disk/dist/index.js');

const dir = join(root, `run-${size}`);
mkdirSync(join(dir, 'src'), { recursive: true });
const block = Buffer.alloc(4 * 1024 * 1024, 9);
const fd = openSync(join(dir, 'src', 'big.bin'), 'w');
for (let written = 0; written < size; written += block.length)
  writeSync(fd, block, 0, Math.min(block.length, size - written));
closeSync(fd);

const session = new core.Session({ pluginPaths: [] });
const target = session.createLocation({
  name: 't',
  accessor: new DiskAccessor({ prefix: join(dir, 'dst') }),
  structure: { getResourceIdentifier: () => 'big.bin' },
  priority: 1,
});
await target.accessor.makeContainer('', true);
const component = await session.createComponent(join(dir, 'src', 'big.bin'), {}, null);
global.gc?.();
const baselineRss = process.memoryUsage().rss;
const sampler = sampleRss(10);
const start = Date.now();
await target.addComponent(component, session.origin, { fastPaths: false });
const ms = Date.now() - start;
const peakRss = sampler.stop();
console.log(JSON.stringify({ peakRss, baselineRss, ms }));
