import { Collection } from './collection.js';
import { formatFrameRange, parseFrameRange } from './frame-range.js';

/**
 * fileseq-style sequence strings: an optional frame range right before a
 * padding token, or after the whole pattern separated by a space:
 *   /shots/a.1-100#.exr    (# = 4 digits each; @ = 1 digit each)
 *   /shots/a.1-10x2@@@.exr /shots/a.%04d.exr 1-10x2   /shots/a.$F4.exr
 * Negative frames keep the sign outside the padding (-0005 has padding 4).
 */
const FILESEQ =
  /^(?<head>.*?)(?<range>-?\d[\d,x-]*)?(?<pad>#+|@+|%0?\d*d|\$F\d*)(?<tail>[^#@%$]*?)(?: (?<after>-?\d[\d,x-]*))?$/s;

export function paddingFromToken(token: string): number {
  if (token.startsWith('#')) return token.length * 4;
  if (token.startsWith('@')) return token.length;
  if (token.startsWith('%')) return Number(token.slice(1, -1) || 0);
  return Number(token.slice(2) || 0); // $F4 -> 4, $F -> 0
}

/** A Collection from fileseq syntax, or null when `value` is not one. */
export function parseFileSeq(value: string): Collection | null {
  const match = FILESEQ.exec(value);
  if (!match?.groups) return null;
  const { head = '', range, pad = '', tail = '', after } = match.groups;
  if (range !== undefined && after !== undefined) return null;
  let frames: number[] = [];
  try {
    frames = parseFrameRange(range ?? after ?? '');
  } catch {
    return null;
  }
  return new Collection(head, tail, paddingFromToken(pad), frames);
}

/** Format as fileseq: `head` + range + `#`/`@` padding + `tail` (e.g. `a.1-100#.exr`). */
export function formatFileSeq(collection: Collection): string {
  const { padding } = collection;
  const token = padding === 0 ? '%d' : padding % 4 === 0 ? '#'.repeat(padding / 4) : '@'.repeat(padding);
  return `${collection.head}${formatFrameRange(collection.indexes)}${token}${collection.tail}`;
}
