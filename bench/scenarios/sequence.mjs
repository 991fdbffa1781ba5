// @stowage/sequence: assemble of 50,000 names; parse and format of a
// 10,000-frame expression. Target: assemble under 200 ms (pyseq's benchmark size).
import { median, report, timeRuns, writeResults } from '../lib.mjs';

const { assemble, parse } = await import('../../packages/sequence/dist/index.js');

export async function run() {
  const results = [];
  const names = [];
  for (let s = 0; s < 50; s++) {
    for (let f = 1001; f <= 1980; f++) names.push(`/shots/sq${s}/sh${s}_plate_v003.${f}.exr`);
  }
  for (let i = names.length; i < 50_000; i++) names.push(`/shots/misc/notes_${i}.txt`);
  const assembleMs = median(await timeRuns(7, () => assemble(names)));
  report(results, {
    scenario: `assemble ${names.length} names`,
    stowageMs: assembleMs,
    note: assembleMs < 200 ? 'target < 200 ms: MET' : 'target < 200 ms: MISSED',
  });
  const expression = `/shots/a.%04d.exr [${Array.from({ length: 5000 }, (_, i) => `${i * 3 + 1}-${i * 3 + 2}`).join(', ')}]`;
  const parseMs = median(await timeRuns(7, () => parse(expression)));
  const collection = parse(expression);
  const formatMs = median(await timeRuns(7, () => collection.format()));
  report(results, { scenario: `parse ${collection.size}-frame expression`, stowageMs: parseMs });
  report(results, { scenario: `format ${collection.size}-frame collection`, stowageMs: formatMs });
  writeResults('sequence', results);
}
