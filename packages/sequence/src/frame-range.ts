import { ParseError, SequenceError } from './errors.js';

/**
 * Most frames one expression may expand to. A typo such as `1-1000000000`
 * should fail fast with a ParseError rather than exhaust memory.
 */
export const MAX_RANGE_FRAMES = 10_000_000;

// One item of a fileseq frame range: N, A-B, A-BxS (every S), A-ByS (all but
// every S) or A-B:S (staggered; as a set, every frame of A-B).
const ITEM = /^(-?\d+)(?:-(-?\d+)(?:([xy:])(-?\d+))?)?$/;

function toFrame(text: string, part: string): number {
  const frame = Number(text);
  if (!Number.isSafeInteger(frame))
    throw new ParseError(`Frame ${text} in ${JSON.stringify(part)} is too large.`);
  return frame;
}

/** Sort ascending and drop duplicates; most inputs are already sorted, so check first. */
export function sortUnique(frames: number[]): number[] {
  let sorted = true;
  for (let i = 1; i < frames.length; i++) {
    if (!(frames[i]! > frames[i - 1]!)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return frames;
  const ordered = Float64Array.from(frames).sort();
  const result: number[] = [];
  for (let i = 0; i < ordered.length; i++)
    if (i === 0 || ordered[i] !== ordered[i - 1]) result.push(ordered[i]!);
  return result;
}

/**
 * Frames of a fileseq-style range, sorted and unique:
 * `parseFrameRange('1-10x2,15,-3--1')` -> `[-3, -2, -1, 1, 3, 5, 7, 9, 15]`.
 * Items are separated by commas (spaces allowed, so clique's `1-3, 5` works
 * too). Descending ranges (`10-1`) give the same set as ascending ones; a
 * step's sign is ignored (stepping always runs from A towards B).
 */
export function parseFrameRange(value: string): number[] {
  const trimmed = value.trim();
  if (trimmed === '') return [];
  const frames: number[] = [];
  for (const raw of trimmed.split(',')) {
    const part = raw.trim();
    const match = ITEM.exec(part);
    if (!match)
      throw new ParseError(`Invalid frame range item ${JSON.stringify(part)} in ${JSON.stringify(value)}.`);
    const start = toFrame(match[1]!, part);
    if (match[2] === undefined) {
      frames.push(start);
      continue;
    }
    const end = toFrame(match[2], part);
    const low = Math.min(start, end);
    const high = Math.max(start, end);
    const step = match[4] === undefined ? 1 : Math.abs(toFrame(match[4], part));
    if (step === 0) throw new ParseError(`Step 0 in ${JSON.stringify(part)}.`);
    const operator = match[3] ?? 'x';
    // Count before expanding so a huge range throws instead of allocating.
    const count = operator === 'x' ? Math.floor((high - low) / step) + 1 : high - low + 1;
    if (frames.length + count > MAX_RANGE_FRAMES) {
      throw new ParseError(`Frame range ${JSON.stringify(value)} has more than ${MAX_RANGE_FRAMES} frames.`);
    }
    if (operator === 'x') {
      const direction = end >= start ? 1 : -1;
      for (let i = 0, frame = start; i < count; i++, frame += direction * step) frames.push(frame);
    } else if (operator === 'y') {
      for (let frame = low; frame <= high; frame++) if ((frame - start) % step !== 0) frames.push(frame);
    } else {
      for (let frame = low; frame <= high; frame++) frames.push(frame);
    }
  }
  return sortUnique(frames);
}

/**
 * Compact fileseq range for a set of frames, the way fileseq's
 * `framesToFrameRange` builds it: runs with a constant step become `A-B`
 * (step 1) or `A-BxS`; a pair with a step other than 1 stays two single
 * frames. `formatFrameRange([1, 3, 5, 7, 9, 15])` -> `'1-9x2,15'`.
 */
export function formatFrameRange(frames: Iterable<number>): string {
  const sorted = sortUnique(Array.from(frames));
  for (const frame of sorted) {
    if (!Number.isSafeInteger(frame)) throw new SequenceError(`Frame ${frame} is not an integer.`);
  }
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    if (i + 1 === sorted.length) {
      parts.push(`${start}`);
      break;
    }
    const step = sorted[i + 1]! - start;
    let j = i + 1;
    while (j + 1 < sorted.length && sorted[j + 1]! - sorted[j]! === step) j++;
    if (j === i + 1 && step !== 1) {
      // Two frames with a gap: fileseq writes the first alone and lets the
      // second start the next run.
      parts.push(`${start}`);
      i++;
      continue;
    }
    parts.push(step === 1 ? `${start}-${sorted[j]}` : `${start}-${sorted[j]}x${step}`);
    i = j + 1;
  }
  return parts.join(',');
}
