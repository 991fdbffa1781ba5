export { type AssembleOptions, type AssembleResult, assemble } from './assemble.js';
export {
  Collection,
  type CollectionData,
  type CollectionMatch,
  DEFAULT_FORMAT,
  formatIndex,
} from './collection.js';
export { CollectionError, ParseError, SequenceError } from './errors.js';
export { type FileSeqStyle, formatFileSeq, paddingFromToken, parseFileSeq } from './fileseq.js';
export { formatFrameRange, MAX_RANGE_FRAMES, parseFrameRange } from './frame-range.js';
export { parse } from './parse.js';
export { DIGITS_PATTERN, PATTERNS, toJsPattern } from './patterns.js';
