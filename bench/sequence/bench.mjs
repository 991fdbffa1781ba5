#!/usr/bin/env node
// @stowage/sequence benchmark: assemble of 50,000 file names (50 sequences of
// 980 frames plus 1,000 names that form no sequence), parse and format of a
// 10,000-frame expression (clique and fileseq syntax). Prints the first
// (cold) run and the median of the rest, in ms. Target: assemble < 200 ms.
//
//   cd packages/sequence && npx tsc -p tsconfig.build.json && node ../../bench/sequence/bench.mjs
import assert from 'node:assert/strict';

const { assemble, formatFileSeq, parse, PATTERNS } = await import('../../packages/sequence/dist/index.js');

const RUNS = Number(process.env.RUNS ?? 11);
const TARGET_MS = 200;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Time `fn` RUNS times; returns the first (cold) time and the median of the others. */
function measure(fn) {
  const times = [];
  let result;
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    result = fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { cold: times[0], median: median(times.slice(1)), result };
}

// Deterministic noise: a small linear congruential generator.
let seed = 42;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';
const word = (length) =>
  Array.from({ length }, () => letters[Math.floor(random() * letters.length)]).join('');

const names = [];
for (let s = 0; s < 50; s++) {
  const version = String(1 + (s % 3)).padStart(3, '0');
  for (let frame = 1001; frame <= 1980; frame++) {
    names.push(`/shows/demo/sq${s}/sh${s * 10}/plate/sh${s * 10}_plate_v${version}.${frame}.exr`);
  }
}
for (let i = 0; i < 1000; i++) names.push(`/shows/demo/cache/${word(12)}.${['bin', 'json', 'txt'][i % 3]}`);
// Interleave so that no sequence arrives in order.
for (let i = names.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [names[i], names[j]] = [names[j], names[i]];
}

const rows = [];
const report = (label, { cold, median: ms }, note = '') => {
  rows.push({ label, cold, median: ms });
  console.log(
    `${label.padEnd(46)} cold ${cold.toFixed(1).padStart(7)} ms   median ${ms.toFixed(1).padStart(7)} ms  ${note}`,
  );
};

console.log(`node ${process.version}, ${RUNS} runs each\n`);

const assembled = measure(() => assemble(names));
// The answer must be right for the time to mean anything. The cache names
// are random, so count only the sequences and check nothing else is grouped.
const sequences = assembled.result.collections.filter((c) => c.tail === '.exr' && c.size === 980);
assert.equal(sequences.length, 50);
assert.ok(assembled.result.remainder.length >= 990);
report(
  `assemble ${names.length} names (digits)`,
  assembled,
  assembled.median < TARGET_MS ? `target < ${TARGET_MS} ms: MET` : `target < ${TARGET_MS} ms: MISSED`,
);

const framesOnly = measure(() => assemble(names, { patterns: [PATTERNS.frames] }));
assert.equal(framesOnly.result.collections.length, 50);
report(`assemble ${names.length} names (PATTERNS.frames)`, framesOnly);

const ranges = Array.from({ length: 5000 }, (_, i) => `${i * 3 + 1}-${i * 3 + 2}`).join(', ');
const expression = `/shows/demo/plate.%04d.exr [${ranges}]`;
const parsed = measure(() => parse(expression));
assert.equal(parsed.result.size, 10_000);
report('parse 10,000-frame clique expression', parsed);

const formatted = measure(() => parsed.result.format());
assert.equal(formatted.result, expression);
report('format 10,000-frame collection', formatted);

const holes = measure(() => parsed.result.format('{holes}'));
report('format {holes} of it', holes);

const fileseq = measure(() => parse('/shows/demo/plate.1-20000x2#.exr'));
assert.equal(fileseq.result.size, 10_000);
report('parse 10,000-frame fileseq expression', fileseq);

const fileseqFormat = measure(() => formatFileSeq(parsed.result));
assert.equal(parse(fileseqFormat.result).size, 10_000);
report('formatFileSeq of the clique collection', fileseqFormat);

if (process.env.JSON) console.log(JSON.stringify(rows));
