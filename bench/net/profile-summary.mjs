#!/usr/bin/env node
// Summarise V8 .cpuprofile files (node --cpu-prof): self time per function and
// per package, so a slow benchmark step can be explained without DevTools.
//   node bench/net/profile-summary.mjs <file.cpuprofile | dir> [top=25]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [target, topText = '25'] = process.argv.slice(2);
const top = Number(topText);
const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((name) => name.endsWith('.cpuprofile'))
      .map((name) => join(target, name))
  : [target];

/** Which package (or node internal) a script URL belongs to. */
function owner(url) {
  if (!url) return '(native/gc/idle)';
  if (url.startsWith('node:')) return url.split('/')[0];
  const modules = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (modules) return modules[1];
  const pkg = url.match(/packages\/([^/]+)\//);
  if (pkg) return `@stowage/${pkg[1]}`;
  return url.replace(/^file:\/\//, '');
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[index] ?? 0));
  });
  const total = [...selfUs.values()].reduce((sum, value) => sum + value, 0);
  const byFunction = new Map();
  const byOwner = new Map();
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    const name = callFrame.functionName || '(anonymous)';
    const key = `${name} ${owner(callFrame.url)}:${callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const who = name.startsWith('(') && !callFrame.url ? name : owner(callFrame.url);
    byOwner.set(who, (byOwner.get(who) ?? 0) + us);
  }
  const print = (title, map, count) => {
    console.log(`  ${title}`);
    for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count))
      console.log(
        `    ${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
      );
  };
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
  print('self time by package', byOwner, 12);
  print('self time by function', byFunction, top);
}
