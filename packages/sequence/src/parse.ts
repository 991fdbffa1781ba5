import { Collection, DEFAULT_FORMAT } from './collection.js';
import { ParseError } from './errors.js';
import { parseFileSeq } from './fileseq.js';
import { parseFrameRange } from './frame-range.js';

// clique's expression for each pattern key. Two extensions: ranges may hold
// negative frames (`-3--1`), and {range} may be a single index (what
// format('{range}') writes for a one-index collection).
const EXPRESSIONS: Record<string, string> = {
  head: '(?<head>.*)',
  tail: '(?<tail>.*)',
  padding: '%(?<padding>\\d*)d',
  range: '(?<range>-?\\d+(?:--?\\d+)?)?',
  ranges: '(?<ranges>[\\d ,\\-]+)?',
  holes: '(?<holes>[\\d ,\\-]+)',
};

// Compiled patterns; bounded so that callers passing many distinct patterns do not grow it forever.
const compiled = new Map<string, RegExp>();

function patternExpression(pattern: string): RegExp {
  let expression = compiled.get(pattern);
  if (expression) return expression;
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = escaped.replace(
    /\\\{(head|tail|padding|range|ranges|holes)\\\}/g,
    (_match, key: string) => EXPRESSIONS[key]!,
  );
  try {
    // `s`: a head or tail may hold any character, newlines included.
    expression = new RegExp(`^${source}$`, 's');
  } catch (error) {
    // A key used twice makes duplicate group names (Python raises too).
    throw new ParseError(`Invalid pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
  if (compiled.size >= 64) compiled.clear();
  compiled.set(pattern, expression);
  return expression;
}

/**
 * Parse a formatted collection (clique's `parse`):
 * `parse('/path/file.%04d.exr [1-5, 7, 8, 10-20]')`. `pattern` may use the
 * keys `{head} {padding} {tail} {range} {ranges} {holes}` (default
 * `'{head}{padding}{tail} [{ranges}]'`). Throws ParseError when `value` does
 * not match.
 *
 * Without a pattern, a value that is not in clique's format is tried as
 * fileseq syntax (`a.1-100#.exr`, `a.%04d.exr 1-10x2`, `a.$F4.exr`); pass
 * the pattern explicitly to accept clique's format only.
 */
export function parse(value: string, pattern?: string | null): Collection {
  const match = patternExpression(pattern ?? DEFAULT_FORMAT).exec(value);
  if (!match) {
    if (pattern == null) {
      const fileseq = parseFileSeq(value);
      if (fileseq) return fileseq;
    }
    throw new ParseError(
      `Value ${JSON.stringify(value)} did not match pattern ${JSON.stringify(pattern ?? DEFAULT_FORMAT)}.`,
    );
  }
  const groups = match.groups ?? {};
  let indexes: number[] = [];
  if (groups.range !== undefined) indexes = parseFrameRange(groups.range);
  if (groups.ranges !== undefined) indexes = indexes.concat(parseFrameRange(groups.ranges));
  const padding = groups.padding ? Number(groups.padding) : 0;
  const collection = new Collection(groups.head ?? '', groups.tail ?? '', padding, indexes);
  if (groups.holes !== undefined) {
    for (const index of parseFrameRange(groups.holes)) {
      // clique raises KeyError for a hole outside the range.
      if (!collection.removeIndex(index)) {
        throw new ParseError(`Hole ${index} is not in the range of ${JSON.stringify(value)}.`);
      }
    }
  }
  return collection;
}
