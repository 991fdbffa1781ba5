import { Collection } from './collection.js';
import { ParseError } from './errors.js';
import { formatFrameRange, parseFrameRange } from './frame-range.js';

// A padding token: fileseq's #/@ (counts add up: # = 4, @ = 1, so `#@` is 5),
// printf `%04d` and Houdini `$F4`.
const TOKEN = String.raw`[#@]+|%\d*d|\$F\d*`;
// The range a fileseq string may carry right before its token.
const INLINE_RANGE = String.raw`-?\d[\d,xy:-]*`;
// head, optional inline range, token, then a tail that holds no other token
// (so the token used is the last one, as in fileseq).
const BODY = new RegExp(
  `^(?<head>.*?)(?<range>${INLINE_RANGE})?(?<token>${TOKEN})(?<tail>(?:(?!${TOKEN})[^])*)$`,
  's',
);
// A range after the pattern, separated by whitespace, optionally in brackets:
// `a.%04d.exr 1-10x2`, `a.#.exr [1-3, 5]`.
const TRAILING_RANGE = /^(?<body>.*?\S)\s+(?:\[(?<bracketed>[^\]]*)\]|(?<bare>-?\d[-\d,xy: ]*))$/s;

/** Padding of a token: `#` = 4 and `@` = 1 per character, `%04d` = 4, `%d` = 0, `$F4` = 4, `$F` = 0. */
export function paddingFromToken(token: string): number {
  if (/^[#@]+$/.test(token)) {
    let padding = 0;
    for (const char of token) padding += char === '#' ? 4 : 1;
    return padding;
  }
  const printf = /^%(\d*)d$/.exec(token);
  if (printf) return Number(printf[1] || 0);
  const houdini = /^\$F(\d*)$/.exec(token);
  if (houdini) return Number(houdini[1] || 0);
  throw new ParseError(`Unknown padding token ${JSON.stringify(token)}.`);
}

/**
 * A Collection from fileseq syntax, or null when `value` is not fileseq
 * syntax (no padding token, or a frame range that does not parse):
 *
 *   /shots/a.1-100#.exr      range right before the token (# = 4 digits)
 *   /shots/a.1-10x2@@@.exr   stepped range, @ = 1 digit each (padding 3)
 *   /shots/a.%04d.exr 1-10x2 range after the pattern (also `[1-10x2]`)
 *   /shots/a.$F4.exr         Houdini token, no frames
 *   /shots/a.-5-5#.exr       negative frames: -0005 … 0005
 *
 * A `-` right before the range digits is read as a minus sign.
 */
export function parseFileSeq(value: string): Collection | null {
  let body = value;
  let after: string | undefined;
  const trailing = TRAILING_RANGE.exec(value);
  if (trailing?.groups && BODY.test(trailing.groups.body!)) {
    body = trailing.groups.body!;
    after = trailing.groups.bracketed ?? trailing.groups.bare;
  }
  const match = BODY.exec(body);
  if (!match?.groups) return null;
  const { head = '', range, token = '', tail = '' } = match.groups;
  if (range !== undefined && after !== undefined) return null;
  let frames: number[];
  try {
    frames = parseFrameRange(range ?? after ?? '');
  } catch {
    return null;
  }
  return new Collection(head, tail, paddingFromToken(token), frames);
}

/** How `formatFileSeq` writes the padding. */
export type FileSeqStyle = 'hash' | 'printf' | 'houdini';

function token(padding: number, style: FileSeqStyle): string {
  if (style === 'houdini') return padding ? `$F${padding}` : '$F';
  // Unpadded has no #/@ spelling (@ is one digit), so hash style falls back to %d.
  if (style === 'printf' || padding === 0) return padding ? `%0${padding}d` : '%d';
  return padding % 4 === 0 ? '#'.repeat(padding / 4) : '@'.repeat(padding);
}

// A tail that itself ends like a trailing range would be misread as one.
const AMBIGUOUS_TAIL = /\s(?:\[[^\]]*\]|-?\d[-\d,xy: ]*)$/;

/**
 * Format as fileseq: head + compact range + padding token + tail, e.g.
 * `a.1-100#.exr`, `a.1-9x2@@@.exr`. When the range could be misread (the
 * head ends in a digit or `-`, or the tail ends like a range), it goes
 * after the pattern in brackets instead: `take2#.exr [1-3]`. `parseFileSeq` reads both back.
 */
export function formatFileSeq(collection: Collection, options: { style?: FileSeqStyle } = {}): string {
  const pattern = token(collection.padding, options.style ?? 'hash');
  const range = formatFrameRange(collection.indexes);
  if (/[\d-]$/.test(collection.head) || AMBIGUOUS_TAIL.test(collection.tail))
    return `${collection.head}${pattern}${collection.tail} [${range}]`;
  return `${collection.head}${range}${pattern}${collection.tail}`;
}
