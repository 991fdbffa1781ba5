import { Collection, formatIndex } from './collection.js';
import { SequenceError } from './errors.js';
import { toJsPattern } from './patterns.js';

export interface AssembleOptions {
  /**
   * Regular expressions with an `index` group and optionally a `padding`
   * group (leading zeros), e.g. `PATTERNS.frames`; strings may use Python's
   * `(?P<name>…)`. Default: every run of digits is a candidate index.
   * `[]` (or `'none'`) assembles nothing: every item is remainder.
   */
  patterns?: ReadonlyArray<string | RegExp> | 'none' | null;
  /** Collections with fewer indexes go to the remainder (default 2). */
  minimumItems?: number;
  /** When false, items differing only in case group together and heads and tails come out lowercase (default true). */
  caseSensitive?: boolean;
  /** Give unpadded collections whose first and last index have the same width that width as padding (default false). */
  assumePaddedWhenAmbiguous?: boolean;
}

export interface AssembleResult {
  collections: Collection[];
  /** Items in no collection: unmatched items, then members of collections that were too small. */
  remainder: string[];
}

// How it works. Like clique, every candidate index of every item proposes
// the item for the collection (head, tail, padding). Most proposals stay
// alone (in `sq12/sh12_v003.1001.exr` only the frame number makes a real
// sequence), so rather than a string key and a set per proposal, a proposal
// is a row of typed arrays, found again through an open-addressing table
// keyed by a hash of its head, tail and padding, computed in one pass over
// the name. Equal hashes are confirmed character by character, so a
// collision never merges two collections; only a second matching proposal
// makes a group object.

const MASK = 0x3fffffff;
// Polynomial hash: h(s) = sum of s[i] * BASE^(n-1-i), mod 2^32. The hash of
// a suffix then follows from two prefix hashes, so one pass over a name
// hashes every head and every tail.
const BASE = 0x01000193;
let powers = Int32Array.of(1);

/** BASE^k for every k <= n. */
function ensurePowers(n: number): Int32Array {
  if (powers.length <= n) {
    const next = new Int32Array(Math.max(n + 1, powers.length * 2));
    next.set(powers);
    for (let k = powers.length; k < next.length; k++) next[k] = Math.imul(next[k - 1]!, BASE);
    powers = next;
  }
  return powers;
}
const EMPTY = -1;

function mix(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & MASK;
}

/** Width of an index in digits (clique's `len(str(abs(index)))`). */
function digitWidth(index: number): number {
  return String(Math.abs(index)).length;
}

interface Group {
  head: string;
  tail: string;
  padding: number;
  /** First proposal, for a stable output order. */
  first: number;
  /** Member proposals: its own, plus those merged in from the unpadded variant. */
  ids: number[];
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array);
  return bigger;
}

/**
 * Proposals and the collections they form. An entry (a would-be collection)
 * is named by its first proposal; `group[first]` is -1 while it is alone.
 */
class Grouping {
  readonly works: string[] = [];
  count = 0;
  // One row per proposal: the work string, the index's span in it, its value
  // and padding, the hash of head and tail (`key`) and of head, tail and
  // padding (`full`), and whether head + formatted index + tail is the work
  // string as is (always, for the digit scanner).
  work: Int32Array;
  start: Int32Array;
  end: Int32Array;
  padding: Int32Array;
  key: Int32Array;
  full: Int32Array;
  value: Float64Array;
  canonical: Uint8Array;
  group: Int32Array;
  readonly groups: Group[] = [];
  /** Entries, by first proposal, in order of appearance. */
  readonly firsts: number[] = [];
  /** Open addressing: slot -> first proposal of an entry, or EMPTY. */
  table: Int32Array;
  tableEntries = 0;
  /** Entries whose hash was taken by a different head, tail or padding, keyed exactly. */
  readonly overflow = new Map<string, number>();
  readonly overflowed = new Set<number>();

  /** Sized for `expected` proposals up front: growing costs more than the memory. */
  constructor(expected: number) {
    let size = 1024;
    while (size < expected) size *= 2;
    this.work = new Int32Array(size);
    this.start = new Int32Array(size);
    this.end = new Int32Array(size);
    this.padding = new Int32Array(size);
    this.key = new Int32Array(size);
    this.full = new Int32Array(size);
    this.value = new Float64Array(size);
    this.canonical = new Uint8Array(size);
    this.group = new Int32Array(size);
    this.table = new Int32Array(size * 2).fill(EMPTY);
  }

  addWork(text: string): number {
    return this.works.push(text) - 1;
  }

  /**
   * Propose work string `w` for the collection around its index at
   * [start, end); `headHash` and `tailHash` hash the text before and after.
   */
  propose(
    w: number,
    start: number,
    end: number,
    value: number,
    padding: number,
    headHash: number,
    tailHash: number,
    canonical: boolean,
  ): void {
    if (this.count === this.work.length) this.grow();
    const id = this.count++;
    const tailLength = this.works[w]!.length - end;
    const key = mix(
      headHash ^
        Math.imul(tailHash, 0x9e3779b1) ^
        Math.imul(start, 0x27d4eb2f) ^
        Math.imul(tailLength, 0x165667b1),
    );
    const full = mix(key ^ Math.imul(padding + 1, 0x2545f491));
    this.work[id] = w;
    this.start[id] = start;
    this.end[id] = end;
    this.padding[id] = padding;
    this.key[id] = key;
    this.full[id] = full;
    this.value[id] = value;
    this.canonical[id] = canonical ? 1 : 0;
    const table = this.table;
    const mask = table.length - 1;
    for (let slot = full & mask; ; slot = (slot + 1) & mask) {
      const first = table[slot]!;
      if (first === EMPTY) {
        table[slot] = id;
        this.addEntry(id);
        if (++this.tableEntries * 2 > table.length) this.rehash();
        return;
      }
      if (this.full[first] === full) {
        if (this.same(first, id)) this.join(first, id);
        else this.addOverflow(id);
        return;
      }
    }
  }

  addEntry(id: number): void {
    this.group[id] = -1;
    this.firsts.push(id);
  }

  grow(): void {
    this.work = grown(this.work);
    this.start = grown(this.start);
    this.end = grown(this.end);
    this.padding = grown(this.padding);
    this.key = grown(this.key);
    this.full = grown(this.full);
    this.value = grown(this.value);
    this.canonical = grown(this.canonical);
    this.group = grown(this.group);
  }

  rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(EMPTY);
    const mask = table.length - 1;
    for (const first of this.firsts) {
      if (this.overflowed.has(first)) continue;
      let slot = this.full[first]! & mask;
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = first;
    }
    this.table = table;
  }

  head(id: number): string {
    return this.works[this.work[id]!]!.slice(0, this.start[id]);
  }

  tail(id: number): string {
    return this.works[this.work[id]!]!.slice(this.end[id]);
  }

  /** The entry's group, made on first need. */
  groupOf(first: number): Group {
    let index = this.group[first]!;
    if (index < 0) {
      index =
        this.groups.push({
          head: this.head(first),
          tail: this.tail(first),
          padding: this.padding[first]!,
          first,
          ids: [first],
        }) - 1;
      this.group[first] = index;
    }
    return this.groups[index]!;
  }

  join(first: number, id: number): void {
    this.groupOf(first).ids.push(id);
  }

  /** Member proposals of an entry. */
  ids(first: number): number[] {
    const index = this.group[first]!;
    return index < 0 ? [first] : this.groups[index]!.ids;
  }

  /** Indexes of a group (duplicates possible: an item given twice). */
  values(group: Group): number[] {
    return group.ids.map((id) => this.value[id]!);
  }

  /** Name of a lone proposal as its collection would write it. */
  name(id: number): string {
    if (this.canonical[id]) return this.works[this.work[id]!]!;
    return `${this.head(id)}${formatIndex(this.value[id]!, this.padding[id]!)}${this.tail(id)}`;
  }

  /** Head and tail as one unambiguous string (the head's length marks where it ends). */
  exactName(id: number): string {
    const head = this.head(id);
    return `${head.length}:${head}${this.tail(id)}`;
  }

  /** Whether proposal `id` has the head, tail and padding of entry `first`. */
  same(first: number, id: number): boolean {
    const text = this.works[this.work[id]!]!;
    const start = this.start[id]!;
    const end = this.end[id]!;
    if (this.padding[first] !== this.padding[id] || this.start[first] !== start) return false;
    const groupIndex = this.group[first]!;
    if (groupIndex >= 0) {
      // Compare with the group's strings: native, no allocation.
      const { head, tail } = this.groups[groupIndex]!;
      return tail.length === text.length - end && text.startsWith(head) && text.endsWith(tail);
    }
    const other = this.works[this.work[first]!]!;
    const otherEnd = this.end[first]!;
    if (other.length - otherEnd !== text.length - end) return false;
    if (other === text && otherEnd === end) return true;
    for (let i = 0; i < start; i++) if (other.charCodeAt(i) !== text.charCodeAt(i)) return false;
    for (let i = otherEnd, j = end; i < other.length; i++, j++) {
      if (other.charCodeAt(i) !== text.charCodeAt(j)) return false;
    }
    return true;
  }

  addOverflow(id: number): void {
    const exact = `${this.padding[id]}:${this.exactName(id)}`;
    const first = this.overflow.get(exact);
    if (first !== undefined) {
      this.join(first, id);
      return;
    }
    this.overflow.set(exact, id);
    this.overflowed.add(id);
    this.addEntry(id);
  }
}

// Scratch space for the digit scanner, grown for long names: run starts and
// ends, and the prefix hashes where each run starts and ends.
const scratch = {
  starts: new Int32Array(64),
  ends: new Int32Array(64),
  heads: new Int32Array(64),
  tails: new Int32Array(64),
};

/**
 * The default pattern, clique's DIGITS_PATTERN, scanned by hand: every run
 * of digits is a candidate index, padded when it has more than one digit and
 * starts with 0 (what `(?<padding>0*)\d+` decides). One pass finds the runs
 * and the hashes of every head and tail.
 */
function scanDigits(
  items: readonly string[],
  caseSensitive: boolean,
  grouping: Grouping,
  remainder: string[],
) {
  let { starts, ends, heads, tails } = scratch;
  for (const item of items) {
    const text = caseSensitive ? item : item.toLowerCase();
    const length = text.length;
    if (starts.length < (length >> 1) + 1) {
      const size = (length >> 1) + 1;
      scratch.starts = starts = new Int32Array(size);
      scratch.ends = ends = new Int32Array(size);
      scratch.heads = heads = new Int32Array(size);
      scratch.tails = tails = new Int32Array(size);
    }
    let hash = 0;
    let runs = 0;
    let inRun = false;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 48 && code <= 57) {
        if (!inRun) {
          starts[runs] = i;
          heads[runs] = hash;
          inRun = true;
        }
      } else if (inRun) {
        ends[runs] = i;
        tails[runs++] = hash;
        inRun = false;
      }
      hash = (Math.imul(hash, BASE) + code) | 0;
    }
    if (inRun) {
      ends[runs] = length;
      tails[runs++] = hash;
    }
    if (runs === 0) {
      remainder.push(item);
      continue;
    }
    const power = ensurePowers(length);
    let w = -1;
    for (let run = 0; run < runs; run++) {
      const start = starts[run]!;
      const end = ends[run]!;
      let value = 0;
      for (let i = start; i < end; i++) value = value * 10 + (text.charCodeAt(i) - 48);
      // Digits beyond 2^53 would not survive as a number: not an index.
      if (value > Number.MAX_SAFE_INTEGER) continue;
      if (w < 0) w = grouping.addWork(text);
      const padded = end - start > 1 && text.charCodeAt(start) === 48;
      const tailHash = (hash - Math.imul(tails[run]!, power[length - end]!)) | 0;
      grouping.propose(w, start, end, value, padded ? end - start : 0, heads[run]!, tailHash, true);
    }
    if (w < 0) remainder.push(item);
  }
}

function compile(patterns: ReadonlyArray<string | RegExp>, caseSensitive: boolean): RegExp[] {
  return patterns.map((pattern) => {
    const source = typeof pattern === 'string' ? toJsPattern(pattern) : pattern.source;
    const flags = new Set(typeof pattern === 'string' ? '' : pattern.flags.replace(/[gyd]/g, ''));
    if (!caseSensitive) flags.add('i');
    let probe: RegExpExecArray | null;
    try {
      // An empty alternative always matches, and its groups list every named group of the pattern.
      probe = new RegExp(`(?:${source})|`, [...flags].join('')).exec('');
    } catch (error) {
      throw new SequenceError(`Invalid pattern ${JSON.stringify(source)}: ${(error as Error).message}`);
    }
    if (!probe?.groups || !('index' in probe.groups)) {
      throw new SequenceError(`Pattern ${JSON.stringify(source)} has no "index" group.`);
    }
    // g: every match (clique's finditer); d: group positions, for head and tail.
    return new RegExp(source, [...flags, 'g', 'd'].join(''));
  });
}

let prefixHashes = new Int32Array(256);

/** Prefix hashes of `text` (the scanner's recurrence), for heads and tails at any position. */
function hashAll(text: string): void {
  const length = text.length;
  if (prefixHashes.length < length + 1) prefixHashes = new Int32Array(length + 1);
  let hash = 0;
  for (let i = 0; i < length; i++) {
    prefixHashes[i] = hash;
    hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
  }
  prefixHashes[length] = hash;
  ensurePowers(length);
}

/** Hash of `text.slice(end)`, after hashAll(text). */
function suffixHash(length: number, end: number): number {
  return (prefixHashes[length]! - Math.imul(prefixHashes[end]!, powers[length - end]!)) | 0;
}

/** Explicit patterns: every match of every pattern proposes the item (clique's finditer loop). */
function scanPatterns(
  items: readonly string[],
  expressions: RegExp[],
  caseSensitive: boolean,
  grouping: Grouping,
  remainder: string[],
) {
  for (const item of items) {
    let matched = false;
    let lowered: string | undefined;
    let itemWork = -1;
    for (const expression of expressions) {
      for (const match of item.matchAll(expression)) {
        const index = match.groups?.index;
        const span = match.indices?.groups?.index;
        if (index === undefined || !span) continue;
        if (!/^-?\d+$/.test(index)) {
          throw new SequenceError(
            `Pattern ${JSON.stringify(expression.source)} matched a non-numeric index ${JSON.stringify(index)}.`,
          );
        }
        const value = Number(index) || 0; // || 0: "-0" is 0
        if (!Number.isSafeInteger(value)) continue;
        const digits = index.startsWith('-') ? index.length - 1 : index.length;
        const padding = match.groups?.padding ? digits : 0;
        const canonical = formatIndex(value, padding) === index;
        let [start, end] = span;
        let w: number;
        if (caseSensitive || (lowered ??= item.toLowerCase()).length === item.length) {
          // The item (or its lowercase form, same positions): hash it once for all its matches.
          if (itemWork < 0) {
            itemWork = grouping.addWork(caseSensitive ? item : lowered!);
            hashAll(grouping.works[itemWork]!);
          }
          w = itemWork;
        } else {
          // Lowercasing changed the length (rare letters such as İ): lowercase head and tail apart, as clique does.
          const head = item.slice(0, start).toLowerCase();
          w = grouping.addWork(`${head}${index}${item.slice(end).toLowerCase()}`);
          start = head.length;
          end = start + index.length;
          hashAll(grouping.works[w]!);
          itemWork = -1; // the scratch hashes now describe this string
        }
        const length = grouping.works[w]!.length;
        grouping.propose(
          w,
          start,
          end,
          value,
          padding,
          prefixHashes[start]!,
          suffixHash(length, end),
          canonical,
        );
        matched = true;
      }
    }
    if (!matched) remainder.push(item);
  }
}

/**
 * Group items into collections (clique's `assemble`). Every candidate index
 * of every item proposes a collection; then, as in clique:
 * 1. unpadded collections merge into padded ones with the same head and tail
 *    where the index width equals the padding (`0998`, `0999` + `1000`,
 *    `1001` -> padding 4); one merged entirely disappears;
 * 2. collections with fewer than `minimumItems` indexes are dropped, and
 *    their members go to the remainder unless a kept collection has them;
 * 3. with `assumePaddedWhenAmbiguous`, an unpadded collection whose first and
 *    last index have the same width gets that width as padding.
 * Collections come in the order of their first item.
 */
export function assemble(items: Iterable<string>, options: AssembleOptions = {}): AssembleResult {
  const list = Array.isArray(items) ? (items as string[]) : Array.from(items);
  const { patterns } = options;
  if (patterns === 'none' || (patterns != null && patterns.length === 0)) {
    return { collections: [], remainder: [...list] };
  }
  const caseSensitive = options.caseSensitive ?? true;
  const minimumItems = options.minimumItems ?? 2;
  // Names usually hold a few digit runs: room for four proposals each.
  const grouping = new Grouping(list.length * 4);
  const remainder: string[] = [];
  if (patterns == null) scanDigits(list, caseSensitive, grouping, remainder);
  else scanPatterns(list, compile(patterns, caseSensitive), caseSensitive, grouping, remainder);
  const { firsts, padding, key } = grouping;

  // 1. Merge. Hashes narrow the search to unpadded entries that may have a
  // padded entry with the same head and tail; exact names decide.
  const fullyMerged = new Set<number>();
  let paddedCount = 0;
  for (const first of firsts) if (padding[first]! > 0) paddedCount++;
  let candidates: number[] = [];
  if (paddedCount > 0) {
    // A bitset of padded keys (about 1 in 32 bits set) lets almost every
    // unpadded entry be rejected without a Set lookup.
    let bitCount = 1 << 10;
    while (bitCount < paddedCount * 32 && bitCount < 1 << 24) bitCount *= 2;
    const bits = new Uint32Array(bitCount >>> 5);
    const bitMask = bitCount - 1;
    for (const first of firsts) {
      if (padding[first]! > 0) {
        const bit = key[first]! & bitMask;
        bits[bit >>> 5]! |= 1 << (bit & 31);
      }
    }
    candidates = firsts.filter((f) => {
      if (padding[f] !== 0) return false;
      const bit = key[f]! & bitMask;
      return (bits[bit >>> 5]! & (1 << (bit & 31))) !== 0;
    });
  }
  if (candidates.length > 0) {
    const candidateKeys = new Set(candidates.map((f) => key[f]!));
    const paddedByName = new Map<string, number[]>();
    for (const first of firsts) {
      if (padding[first] === 0 || !candidateKeys.has(key[first]!)) continue;
      const name = grouping.exactName(first);
      const targets = paddedByName.get(name);
      if (targets) targets.push(first);
      else paddedByName.set(name, [first]);
    }
    for (const candidate of candidates) {
      const targets = paddedByName.get(grouping.exactName(candidate));
      if (!targets) continue;
      const ids = grouping.ids(candidate);
      for (const target of targets) {
        const group = grouping.groupOf(target);
        let all = true;
        for (const id of ids) {
          if (digitWidth(grouping.value[id]!) === group.padding) group.ids.push(id);
          else all = false;
        }
        if (all) fullyMerged.add(candidate);
      }
    }
  }

  // 2. Filter by size.
  const collections: Collection[] = [];
  const kept: number[] = [];
  const dropped: number[] = [];
  for (const first of firsts) {
    if (fullyMerged.has(first)) continue;
    const index = grouping.group[first]!;
    if (index < 0 && minimumItems > 1) {
      dropped.push(first);
      continue;
    }
    const group = grouping.groupOf(first);
    // Fewer members than minimumItems means fewer unique indexes too: no Collection needed.
    if (group.ids.length < minimumItems) {
      dropped.push(first);
      continue;
    }
    const collection = new Collection(group.head, group.tail, group.padding, grouping.values(group));
    if (collection.size >= minimumItems) {
      collections.push(collection);
      kept.push(first);
    } else {
      dropped.push(first);
    }
  }

  // Members of dropped collections go to the remainder unless a kept
  // collection has them (clique tests `candidate in collection` for each).
  // A member's name is its work string, or formatted when not canonical.
  if (dropped.length > 0) {
    let isKept: (id: number) => boolean;
    if (patterns == null) {
      // Digit scanner: heads and tails never end or start with a digit, so a
      // name belongs to a kept collection exactly when one of the item's own
      // proposals (or one merged in) is a member of it; mark those items.
      const covered = new Uint8Array(grouping.works.length);
      for (const first of kept) for (const id of grouping.ids(first)) covered[grouping.work[id]!] = 1;
      isKept = (id) => covered[grouping.work[id]!] === 1;
    } else {
      // Any pattern: compare names. A collection holds exactly the names it
      // formats whose digits fit its padding.
      const keptNames = new Set<string>();
      for (const collection of collections) {
        for (const index of collection.indexes) {
          if (collection.padding === 0 || digitWidth(index) <= collection.padding) {
            keptNames.add(collection.itemName(index));
          }
        }
      }
      isKept = (id) => keptNames.has(grouping.name(id));
    }
    const inRemainder = new Set(remainder);
    for (const first of dropped) {
      for (const id of grouping.ids(first)) {
        if (isKept(id)) continue;
        const name = grouping.name(id);
        if (inRemainder.has(name)) continue;
        inRemainder.add(name);
        remainder.push(name);
      }
    }
  }

  // 3. Ambiguous padding, decided after the remainder as in clique.
  if (options.assumePaddedWhenAmbiguous) {
    for (const collection of collections) {
      if (collection.padding !== 0 || collection.size === 0) continue;
      const width = digitWidth(collection.first!);
      if (width === digitWidth(collection.last!)) collection.padding = width;
    }
  }
  return { collections, remainder };
}
