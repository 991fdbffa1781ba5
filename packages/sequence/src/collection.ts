import { CollectionError, SequenceError } from './errors.js';

/** clique's default pattern for `format` and `parse`. */
export const DEFAULT_FORMAT = '{head}{padding}{tail} [{ranges}]';

const FORMAT_KEYS = new Set(['head', 'tail', 'padding', 'range', 'ranges', 'holes']);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * An index as it appears in an item name. The sign stays outside the padding
 * (fileseq's convention): `formatIndex(-5, 4)` is `-0005`, where Python's
 * `'{0:04d}'.format(-5)` (clique) would give `-005`.
 */
export function formatIndex(index: number, padding: number): string {
  return index < 0 ? `-${String(-index).padStart(padding, '0')}` : String(index).padStart(padding, '0');
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index)) throw new SequenceError(`Index ${index} is not a safe integer.`);
}

/** What `Collection.match` returns for a matching item (clique returns a regex match). */
export interface CollectionMatch {
  item: string;
  /** The index as written in the item, sign included: "0042", "-0005". */
  index: string;
  /** Its numeric value. */
  value: number;
  /** Whether it has leading zeros (clique's `padding` group was not empty). */
  padded: boolean;
}

/** Plain data of a collection, as `toJSON` returns it. */
export interface CollectionData {
  head: string;
  tail: string;
  padding: number;
  indexes: number[];
}

/**
 * Items that share a head, a tail and a padding and differ by an integer
 * index (clique's `Collection`): `head` + zero-padded index + `tail`.
 * `padding` 0 means unpadded (any width, no leading zeros). `indexes` is
 * kept sorted and unique.
 */
export class Collection implements Iterable<string> {
  head: string;
  tail: string;
  padding: number;
  readonly #indexes: Set<number>;
  // Sorted view, rebuilt lazily after a change: assemble and parse add many
  // indexes and read them once.
  #sorted: readonly number[] | undefined;
  // Match expression and the head and tail it was built for (both may be reassigned, as in clique).
  #expression: RegExp | undefined;
  #expressionHead = '';
  #expressionTail = '';

  constructor(head: string, tail: string, padding = 0, indexes: Iterable<number> = []) {
    if (!Number.isSafeInteger(padding) || padding < 0) {
      throw new SequenceError(`Padding must be a non-negative integer, got ${padding}.`);
    }
    this.head = head;
    this.tail = tail;
    this.padding = padding;
    this.#indexes = new Set(indexes);
    for (const index of this.#indexes) checkIndex(index);
  }

  /** Sorted unique indexes (read-only; change them with `add`, `addIndex`, `removeIndex`, `merge`). */
  get indexes(): readonly number[] {
    if (!this.#sorted) {
      this.#sorted = Object.freeze(Array.from(this.#indexes).sort((a, b) => a - b));
    }
    return this.#sorted;
  }

  get size(): number {
    return this.#indexes.size;
  }

  /** Same as `size`, for array-like code. */
  get length(): number {
    return this.#indexes.size;
  }

  /** The first index, or undefined when empty. */
  get first(): number | undefined {
    return this.indexes[0];
  }

  /** The last index, or undefined when empty. */
  get last(): number | undefined {
    return this.indexes.at(-1);
  }

  /** Item name for an index: head + padded index + tail. */
  itemName(index: number): string {
    return `${this.head}${formatIndex(index, this.padding)}${this.tail}`;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (const index of this.indexes) yield this.itemName(index);
  }

  /** Item names, in index order. */
  names(): string[] {
    return Array.from(this);
  }

  /**
   * Match `item` against head, tail and padding, with clique's rules: an
   * unpadded collection rejects zero-padded indexes (`0001`); a padded one
   * needs exactly `padding` digits (`10001` does not match `%04d`). Unlike
   * clique, a minus sign before the digits makes a negative index.
   */
  match(item: string): CollectionMatch | null {
    if (!this.#expression || this.#expressionHead !== this.head || this.#expressionTail !== this.tail) {
      this.#expression = new RegExp(
        `^${escapeRegExp(this.head)}(-?)((0*)\\d+?)${escapeRegExp(this.tail)}$`,
        's',
      );
      this.#expressionHead = this.head;
      this.#expressionTail = this.tail;
    }
    const found = this.#expression.exec(item);
    if (!found) return null;
    const negative = found[1] === '-';
    const digits = found[2]!;
    const padded = found[3] !== '';
    if (this.padding === 0 ? padded : digits.length !== this.padding) return null;
    const magnitude = Number(digits);
    // "-0" is not a name any index formats to; huge numbers would lose digits.
    if ((negative && magnitude === 0) || !Number.isSafeInteger(magnitude)) return null;
    return {
      item,
      index: negative ? `-${digits}` : digits,
      value: negative ? -magnitude : magnitude,
      padded,
    };
  }

  /** Whether `item` is a member (clique's `item in collection`). */
  has(item: string): boolean {
    const match = this.match(item);
    return match !== null && this.#indexes.has(match.value);
  }

  /** Add an item; CollectionError when it does not match the collection. */
  add(item: string): void {
    const match = this.match(item);
    if (!match)
      throw new CollectionError(`Item ${JSON.stringify(item)} does not match collection expression.`);
    this.addIndex(match.value);
  }

  /** Remove an item; CollectionError when it is not a member. */
  remove(item: string): void {
    const match = this.match(item);
    if (!match || !this.#indexes.has(match.value)) {
      throw new CollectionError(`Item ${JSON.stringify(item)} not present in collection.`);
    }
    this.removeIndex(match.value);
  }

  addIndex(index: number): void {
    checkIndex(index);
    if (this.#indexes.has(index)) return;
    this.#indexes.add(index);
    this.#sorted = undefined;
  }

  /** Remove an index; returns whether it was there. */
  removeIndex(index: number): boolean {
    const removed = this.#indexes.delete(index);
    if (removed) this.#sorted = undefined;
    return removed;
  }

  hasIndex(index: number): boolean {
    return this.#indexes.has(index);
  }

  /**
   * Format with clique's keys: `{head}`, `{tail}`, `{padding}` (`%04d`, or
   * `%d` when unpadded), `{range}` (`first-last`), `{ranges}` (`1-3, 7, 9-12`)
   * and `{holes}` (ranges of the missing indexes). As with Python's
   * `str.format`, `{{` and `}}` are literal braces and an unknown key throws.
   */
  format(pattern: string = DEFAULT_FORMAT): string {
    const values = new Map<string, string>();
    return pattern.replace(/\{\{|\}\}|\{([^{}]*)\}|[{}]/g, (token, key: string | undefined) => {
      if (token === '{{') return '{';
      if (token === '}}') return '}';
      if (key === undefined) throw new SequenceError(`Single ${JSON.stringify(token)} in format pattern.`);
      if (!FORMAT_KEYS.has(key)) throw new SequenceError(`Unknown format key {${key}}.`);
      let value = values.get(key);
      if (value === undefined) {
        value = this.#formatKey(key);
        values.set(key, value);
      }
      return value;
    });
  }

  #formatKey(key: string): string {
    const indexes = this.indexes;
    switch (key) {
      case 'head':
        return this.head;
      case 'tail':
        return this.tail;
      case 'padding':
        return this.padding ? `%0${this.padding}d` : '%d';
      case 'range':
        if (indexes.length === 0) return '';
        return indexes.length === 1 ? `${indexes[0]}` : `${indexes[0]}-${indexes.at(-1)}`;
      case 'ranges': {
        // Contiguous runs, computed directly instead of via separate() (clique).
        const parts: string[] = [];
        let start = 0;
        for (let i = 1; i <= indexes.length; i++) {
          if (i === indexes.length || indexes[i] !== indexes[i - 1]! + 1) {
            parts.push(i - 1 === start ? `${indexes[start]}` : `${indexes[start]}-${indexes[i - 1]}`);
            start = i;
          }
        }
        return parts.join(', ');
      }
      default: {
        // holes: the gaps between runs, without materialising holes().
        const parts: string[] = [];
        for (let i = 1; i < indexes.length; i++) {
          const from = indexes[i - 1]! + 1;
          const to = indexes[i]! - 1;
          if (from === to) parts.push(`${from}`);
          else if (from < to) parts.push(`${from}-${to}`);
        }
        return parts.join(', ');
      }
    }
  }

  toString(): string {
    return this.format();
  }

  /** Missing indexes between the first and the last, as a Collection. */
  holes(): Collection {
    const missing: number[] = [];
    const indexes = this.indexes;
    for (let i = 1; i < indexes.length; i++) {
      for (let index = indexes[i - 1]! + 1; index < indexes[i]!; index++) missing.push(index);
    }
    return new Collection(this.head, this.tail, this.padding, missing);
  }

  isContiguous(): boolean {
    const indexes = this.indexes;
    for (let i = 1; i < indexes.length; i++) if (indexes[i] !== indexes[i - 1]! + 1) return false;
    return true;
  }

  /** Same head, tail and padding (so the indexes of one can move into the other). */
  isCompatible(other: Collection): boolean {
    return (
      other instanceof Collection &&
      other.head === this.head &&
      other.tail === this.tail &&
      other.padding === this.padding
    );
  }

  /** Add the other collection's indexes; CollectionError when it is not compatible. */
  merge(other: Collection): void {
    if (!this.isCompatible(other))
      throw new CollectionError('Collection is not compatible with this collection.');
    for (const index of other.#indexes) this.#indexes.add(index);
    this.#sorted = undefined;
  }

  /** Contiguous runs, each a Collection (one empty Collection when this one is empty, as in clique). */
  separate(): Collection[] {
    const indexes = this.indexes;
    const result: Collection[] = [];
    let start = 0;
    for (let i = 1; i <= indexes.length; i++) {
      if (i === indexes.length || indexes[i] !== indexes[i - 1]! + 1) {
        result.push(new Collection(this.head, this.tail, this.padding, indexes.slice(start, i)));
        start = i;
      }
    }
    if (result.length === 0) result.push(new Collection(this.head, this.tail, this.padding));
    return result;
  }

  clone(): Collection {
    return new Collection(this.head, this.tail, this.padding, this.#indexes);
  }

  /** Same head, tail, padding and indexes (clique's `==`). */
  equals(other: Collection): boolean {
    if (!this.isCompatible(other) || other.size !== this.size) return false;
    for (const index of this.#indexes) if (!other.#indexes.has(index)) return false;
    return true;
  }

  /** Plain data, for JSON and comparisons. */
  toJSON(): CollectionData {
    return { head: this.head, tail: this.tail, padding: this.padding, indexes: [...this.indexes] };
  }

  /** `console.log` shows the formatted collection, like clique's repr. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Collection ${JSON.stringify(this.format())}`;
  }
}
