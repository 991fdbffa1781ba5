import { ParseError } from './errors.js';

// One item of a fileseq frame range: N, A-B or A-BxS (negative frames allowed).
const ITEM = /^(-?\d+)(?:-(-?\d+)(?:x(\d+))?)?$/;

/** Parse a fileseq-style frame range: `1-10x2,15,-3--1` (also `1-3, 5` with spaces). */
export function parseFrameRange(value: string): number[] {
  const result = new Set<number>();
  const trimmed = value.trim();
  if (trimmed === '') return [];
  for (const raw of trimmed.split(',')) {
    const part = raw.trim();
    const match = ITEM.exec(part);
    if (!match)
      throw new ParseError(`Invalid frame range item ${JSON.stringify(part)} in ${JSON.stringify(value)}.`);
    const start = Number(match[1]);
    if (match[2] === undefined) {
      result.add(start);
      continue;
    }
    const end = Number(match[2]);
    const step = match[3] === undefined ? 1 : Number(match[3]);
    if (step <= 0) throw new ParseError(`Invalid step in ${JSON.stringify(part)}.`);
    if (end < start) throw new ParseError(`Descending range ${JSON.stringify(part)} is not supported.`);
    for (let frame = start; frame <= end; frame += step) result.add(frame);
  }
  return [...result].sort((a, b) => a - b);
}

/**
 * Compact fileseq range for sorted unique frames: runs of three or more with
 * a constant step become `A-B` or `A-BxS`; the rest are single frames.
 */
export function formatFrameRange(frames: Iterable<number>): string {
  const sorted = [...new Set(frames)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    if (i + 2 < sorted.length) {
      const step = sorted[i + 1]! - start;
      let j = i + 1;
      while (j + 1 < sorted.length && sorted[j + 1]! - sorted[j]! === step) j++;
      if (j - i >= 2) {
        parts.push(step === 1 ? `${start}-${sorted[j]}` : `${start}-${sorted[j]}x${step}`);
        i = j + 1;
        continue;
      }
    }
    parts.push(String(start));
    i++;
  }
  return parts.join(',');
}
