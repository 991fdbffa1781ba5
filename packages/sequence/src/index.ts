export { type AssembleOptions, type AssembleResult, assemble } from './assemble.js';
export { Collection, type CollectionMatch, DEFAULT_FORMAT } from './collection.js';
export { CollectionError, ParseError, SequenceError } from './errors.js';
export { formatFileSeq, paddingFromToken, parseFileSeq } from './fileseq.js';
export { formatFrameRange, parseFrameRange } from './frame-range.js';
export { parse } from './parse.js';
export { DIGITS_PATTERN, PATTERNS } from './patterns.js';
