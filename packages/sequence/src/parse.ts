import { Collection, DEFAULT_FORMAT } from './collection.js';
import { ParseError } from './errors.js';
import { parseFileSeq } from './fileseq.js';

// clique's expressions for each pattern key.
const EXPRESSIONS: Record<string, string> = {
  head: '(?<head>.*)',
  tail: '(?<tail>.*)',
  padding: '%(?<padding>\\d*)d',
  range: '(?<range>-?\\d+--?\\d+)?',
  ranges: '(?<ranges>[\\d ,\\-]+)?',
  holes: '(?<holes>[\\d ,\\-]+)',
};

const compiled = new Map<string, RegExp>();

function patternExpression(pattern: string): RegExp {
  let expression = compiled.get(pattern);
  if (!expression) {
    const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const source = escaped.replace(
      /\\\{(head|tail|padding|range|ranges|holes)\\\}/g,
      (_m, key: string) => EXPRESSIONS[key]!,
    );
    expression = new RegExp(`^${source}$`, 's');
    compiled.set(pattern, expression);
  }
  return expression;
}

/** Split "1-3, 5, 7-8" (clique ranges, negative frames allowed) into indexes. */
function rangeIndexes(value: string): number[] {
  const indexes: number[] = [];
  for (const raw of value.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const match = /^(-?\d+)(?:-(-?\d+))?$/.exec(part);
    if (!match) throw new ParseError(`Invalid range ${JSON.stringify(part)}.`);
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    for (let index = start; index <= end; index++) indexes.push(index);
  }
  return indexes;
}

/**
 * Parse a formatted collection (clique's parse), e.g.
 * `parse('/path/file.%04d.exr [1-5, 7, 8, 10-20]')`. With the default pattern,
 * a value that does not match falls back to fileseq syntax
 * (`file.1-100#.exr`, `file.%04d.exr 1-10x2`, `file.$F4.exr`).
 */
export function parse(value: string, pattern?: string | null): Collection {
  const match = patternExpression(pattern ?? DEFAULT_FORMAT).exec(value);
  if (!match) {
    if (pattern == null) {
      const fileseq = parseFileSeq(value);
      if (fileseq) return fileseq;
    }
    throw new ParseError(`Value ${JSON.stringify(value)} did not match pattern.`);
  }
  const groups = match.groups ?? {};
  const padding = groups.padding ? Number(groups.padding) : 0;
  const collection = new Collection(groups.head ?? '', groups.tail ?? '', padding);
  if (groups.range !== undefined) for (const index of rangeIndexes(groups.range)) collection.addIndex(index);
  if (groups.ranges !== undefined)
    for (const index of rangeIndexes(groups.ranges)) collection.addIndex(index);
  if (groups.holes !== undefined) {
    const kept = new Set(collection.indexes);
    for (const index of rangeIndexes(groups.holes)) {
      if (!kept.delete(index))
        throw new ParseError(`Hole ${index} is outside the range of ${JSON.stringify(value)}.`);
    }
    return new Collection(collection.head, collection.tail, padding, kept);
  }
  return collection;
}
