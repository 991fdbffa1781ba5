/** Base class of every error this package throws, so callers can catch them all at once. */
export class SequenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A value did not match the pattern it was parsed with (where clique raises `ValueError`). */
export class ParseError extends SequenceError {}

/** An item is not a member of, or not compatible with, a collection (clique's `CollectionError`). */
export class CollectionError extends SequenceError {}
