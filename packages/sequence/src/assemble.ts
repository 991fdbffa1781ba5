import { Collection } from './collection.js';

export interface AssembleOptions {
  /** Regular expressions with `index` and `padding` groups; default: any run of digits. `[]` assembles nothing. */
  patterns?: Array<string | RegExp>;
  /** Collections with fewer indexes go to the remainder (default 2). */
  minimumItems?: number;
  caseSensitive?: boolean;
  /** Give unpadded collections whose first and last index have the same width that width as padding. */
  assumePaddedWhenAmbiguous?: boolean;
}

interface Group {
  head: string;
  tail: string;
  padding: number;
  indexes: Set<number>;
}

export interface AssembleResult {
  collections: Collection[];
  remainder: string[];
}

function compile(pattern: string | RegExp, caseSensitive: boolean): RegExp {
  const source = typeof pattern === 'string' ? pattern : pattern.source;
  const flags = new Set((typeof pattern === 'string' ? '' : pattern.flags).split(''));
  flags.add('g');
  flags.add('d'); // indices of groups, for head and tail
  if (!caseSensitive) flags.add('i');
  return new RegExp(source, [...flags].join(''));
}

/**
 * Group items into collections (clique.assemble): every match of every
 * pattern proposes (head, tail, padding) -> index; unpadded collections merge
 * into padded ones where the width fits; small collections go to the remainder.
 */
export function assemble(items: Iterable<string>, options: AssembleOptions = {}): AssembleResult {
  const caseSensitive = options.caseSensitive ?? true;
  const minimumItems = options.minimumItems ?? 2;
  const remainder: string[] = [];
  if (options.patterns && options.patterns.length === 0) return { collections: [], remainder: [...items] };
  // No patterns: clique's DIGITS_PATTERN, scanned by hand below.
  const expressions = options.patterns?.map((pattern) => compile(pattern, caseSensitive));

  const groups = new Map<string, Group>();
  const propose = (head: string, tail: string, index: string, padded: boolean) => {
    if (!caseSensitive) {
      head = head.toLowerCase();
      tail = tail.toLowerCase();
    }
    const padding = padded ? index.length : 0;
    const key = `${head}\u0000${tail}\u0000${padding}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { head, tail, padding, indexes: new Set() }));
    group.indexes.add(Number(index));
  };
  for (const item of items) {
    let matched = false;
    if (!expressions) {
      // Default pattern, scanned by hand (5x faster than the regex): every run
      // of digits is a candidate index; it is padded when it starts with a 0
      // and has more digits, as `(?<padding>0*)\d+` decides.
      let start = -1;
      for (let i = 0; i <= item.length; i++) {
        const code = i < item.length ? item.charCodeAt(i) : -1;
        const digit = code >= 48 && code <= 57;
        if (digit && start < 0) start = i;
        else if (!digit && start >= 0) {
          const index = item.slice(start, i);
          propose(item.slice(0, start), item.slice(i), index, index.length > 1 && index.charCodeAt(0) === 48);
          matched = true;
          start = -1;
        }
      }
    } else {
      for (const expression of expressions) {
        expression.lastIndex = 0;
        for (const match of item.matchAll(expression)) {
          const index = match.groups?.index;
          const span = match.indices?.groups?.index;
          if (index === undefined || !span) continue;
          propose(item.slice(0, span[0]), item.slice(span[1]), index, Boolean(match.groups?.padding));
          matched = true;
        }
      }
    }
    if (!matched) remainder.push(item);
  }

  // Merge unpadded groups into padded ones where the index width equals the
  // padding (0998-0999 + 1000-1001); a fully merged group disappears.
  const unpadded = new Map<string, Group>();
  for (const group of groups.values())
    if (group.padding === 0) unpadded.set(`${group.head}\u0000${group.tail}`, group);
  const fullyMerged = new Set<Group>();
  for (const group of groups.values()) {
    if (group.padding === 0) continue;
    const candidate = unpadded.get(`${group.head}\u0000${group.tail}`);
    if (!candidate) continue;
    let merged = 0;
    for (const index of candidate.indexes) {
      if (String(Math.abs(index)).length === group.padding) {
        group.indexes.add(index);
        merged++;
      }
    }
    if (merged === candidate.indexes.size) fullyMerged.add(candidate);
  }

  const kept: Collection[] = [];
  const leftovers: Array<{ group: Group; index: number }> = [];
  for (const group of groups.values()) {
    if (fullyMerged.has(group)) continue;
    if (group.indexes.size >= minimumItems)
      kept.push(new Collection(group.head, group.tail, group.padding, group.indexes));
    else for (const index of group.indexes) leftovers.push({ group, index });
  }
  // Members of dropped groups go to the remainder unless a kept collection has
  // them. Names are compared, not regexes: a collection contains exactly the
  // names it formats whose digits fit its padding.
  const keptNames = new Set<string>();
  for (const collection of kept) {
    for (const index of collection.indexes) {
      if (collection.padding === 0 || String(Math.abs(index)).length <= collection.padding) {
        keptNames.add(collection.itemName(index));
      }
    }
  }
  const inRemainder = new Set(remainder);
  for (const { group, index } of leftovers) {
    const digits = String(Math.abs(index)).padStart(group.padding, '0');
    const item = `${group.head}${index < 0 ? '-' : ''}${digits}${group.tail}`;
    if (inRemainder.has(item) || keptNames.has(item)) continue;
    remainder.push(item);
    inRemainder.add(item);
  }

  if (options.assumePaddedWhenAmbiguous) {
    for (const collection of kept) {
      const indexes = collection.indexes;
      if (collection.padding !== 0 || indexes.length === 0) continue;
      const first = String(indexes[0]).length;
      if (first === String(indexes[indexes.length - 1]).length) collection.padding = first;
    }
  }
  return { collections: kept, remainder };
}
