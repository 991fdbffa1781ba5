#!/usr/bin/env node
// npm run bench -- <scenario...>   (no argument lists the scenarios)
// Each scenario measures Stowage and the reference tool in the same run and
// prints medians, ratios (reference time / Stowage time; > 1 = Stowage faster)
// and peak RSS; JSON lands in bench/results/. Build first: npm run build.
import { readdirSync } from 'node:fs';

const dir = new URL('./scenarios/', import.meta.url);
const scenarios = readdirSync(dir)
  .filter((name) => name.endsWith('.mjs'))
  .map((name) => name.replace(/\.mjs$/, ''))
  .sort();
const wanted = process.argv.slice(2);
if (wanted.length === 0) {
  console.log(`scenarios: ${scenarios.join(', ')}\nusage: npm run bench -- <scenario...> | all`);
  process.exit(0);
}
for (const name of wanted[0] === 'all' ? scenarios : wanted) {
  if (!scenarios.includes(name)) {
    console.error(`unknown scenario "${name}"; known: ${scenarios.join(', ')}`);
    process.exit(2);
  }
  console.log(`\n== ${name}`);
  const module = await import(new URL(`${name}.mjs`, dir).href);
  await module.run();
}
