import { CollectionError } from './errors.js';

export const DEFAULT_FORMAT = '{head}{padding}{tail} [{ranges}]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What `Collection.match` returns: the index as written, its value and whether it was zero-padded. */
export interface CollectionMatch {
  item: string;
  /** The digits as written, e.g. "0042". */
  index: string;
  value: number;
  padded: boolean;
}

/**
 * A sequence of items sharing a head, a tail and a padding, differing by an
 * integer index (clique's Collection). `indexes` is kept sorted and unique.
 */
export class Collection implements Iterable<string> {
  readonly head: string;
  readonly tail: string;
  padding: number;
  private readonly indexSet: Set<number>;
  private sorted: number[] | undefined;
  private expression: RegExp | undefined;

  constructor(head: string, tail: string, padding: number, indexes: Iterable<number> = []) {
    this.head = head;
    this.tail = tail;
    this.padding = padding;
    this.indexSet = new Set(indexes);
  }

  /** Sorted unique indexes (a copy). */
  get indexes(): number[] {
    if (!this.sorted) this.sorted = [...this.indexSet].sort((a, b) => a - b);
    return [...this.sorted];
  }

  get size(): number {
    return this.indexSet.size;
  }

  /** Item name for an index: head + zero-padded index + tail. */
  itemName(index: number): string {
    const digits = String(Math.abs(index)).padStart(this.padding, '0');
    return `${this.head}${index < 0 ? '-' : ''}${digits}${this.tail}`;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (const index of this.indexes) yield this.itemName(index);
  }

  /** Item names, in index order. */
  names(): string[] {
    return [...this];
  }

  has(item: string): boolean {
    const match = this.match(item);
    return match !== null && this.indexSet.has(match.value);
  }

  /**
   * Match `item` against this collection's head, tail and padding (clique
   * semantics: an unpadded collection rejects zero-padded indexes; a padded one
   * needs exactly `padding` digits).
   */
  match(item: string): CollectionMatch | null {
    // Compiled on first use: assemble makes many collections that never match.
    this.expression ??= new RegExp(
      `^${escapeRegExp(this.head)}(-?)((0*)\\d+?)${escapeRegExp(this.tail)}$`,
      's',
    );
    const found = this.expression.exec(item);
    if (!found) return null;
    const negative = found[1] === '-';
    const index = found[2]!;
    const padded = found[3] !== '';
    if (this.padding === 0) {
      if (padded) return null;
    } else if (index.length !== this.padding) {
      return null;
    }
    const value = Number(index) * (negative ? -1 : 1);
    return { item, index: `${negative ? '-' : ''}${index}`, value, padded };
  }

  /** Add an item; CollectionError when it does not match. */
  add(item: string): void {
    const match = this.match(item);
    if (!match)
      throw new CollectionError(`Item ${JSON.stringify(item)} does not match collection expression.`);
    this.addIndex(match.value);
  }

  /** Remove an item; CollectionError when it is not a member. */
  remove(item: string): void {
    const match = this.match(item);
    if (!match || !this.indexSet.has(match.value)) {
      throw new CollectionError(`Item ${JSON.stringify(item)} not present in collection.`);
    }
    this.indexSet.delete(match.value);
    this.sorted = undefined;
  }

  addIndex(index: number): void {
    this.indexSet.add(index);
    this.sorted = undefined;
  }

  hasIndex(index: number): boolean {
    return this.indexSet.has(index);
  }

  /** Format with `{head} {padding} {tail} {range} {ranges} {holes}` (clique's format). */
  format(pattern: string = DEFAULT_FORMAT): string {
    const indexes = this.indexes;
    const data: Record<string, string> = {
      head: this.head,
      tail: this.tail,
      padding: this.padding ? `%0${this.padding}d` : '%d',
    };
    const range = () =>
      indexes.length === 0
        ? ''
        : indexes.length === 1
          ? `${indexes[0]}`
          : `${indexes[0]}-${indexes[indexes.length - 1]}`;
    if (pattern.includes('{range}') || pattern.includes('{ranges}')) data.range = range();
    if (pattern.includes('{ranges}')) {
      const separated = this.separate();
      data.ranges =
        separated.length > 1 ? separated.map((part) => part.format('{range}')).join(', ') : data.range!;
    }
    if (pattern.includes('{holes}')) data.holes = this.holes().format('{ranges}');
    return pattern.replace(
      /\{(head|tail|padding|range|ranges|holes)\}/g,
      (_match, key: string) => data[key] ?? '',
    );
  }

  toString(): string {
    return this.format();
  }

  /** Missing indexes between the first and last (a Collection). */
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

  /** Same head, tail and padding. */
  isCompatible(other: Collection): boolean {
    return (
      other instanceof Collection &&
      other.head === this.head &&
      other.tail === this.tail &&
      other.padding === this.padding
    );
  }

  /** Add the other collection's indexes; CollectionError when not compatible. */
  merge(other: Collection): void {
    if (!this.isCompatible(other))
      throw new CollectionError('Collection is not compatible with this collection.');
    for (const index of other.indexes) this.indexSet.add(index);
    this.sorted = undefined;
  }

  /** Contiguous runs, each a Collection. */
  separate(): Collection[] {
    const result: Collection[] = [];
    let run: number[] = [];
    for (const index of this.indexes) {
      if (run.length > 0 && index !== run[run.length - 1]! + 1) {
        result.push(new Collection(this.head, this.tail, this.padding, run));
        run = [];
      }
      run.push(index);
    }
    if (run.length > 0 || result.length === 0)
      result.push(new Collection(this.head, this.tail, this.padding, run));
    return result;
  }

  clone(): Collection {
    return new Collection(this.head, this.tail, this.padding, this.indexSet);
  }

  /** Plain data for JSON and comparisons. */
  toJSON(): { head: string; tail: string; padding: number; indexes: number[] } {
    return { head: this.head, tail: this.tail, padding: this.padding, indexes: this.indexes };
  }
}
