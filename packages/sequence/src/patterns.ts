/**
 * clique's named patterns, in JS syntax (`(?<name>…)` where Python writes
 * `(?P<name>…)`). Every pattern given to `assemble` needs an `index` group and
 * may have a `padding` group holding the leading zeros.
 */
export const DIGITS_PATTERN = '(?<index>(?<padding>0*)\\d+)';

export const PATTERNS = {
  /** Any run of digits (what `assemble` uses without patterns). */
  digits: DIGITS_PATTERN,
  /** A frame number between dots before the extension: `plate.1001.exr`. */
  frames: `\\.${DIGITS_PATTERN}\\.\\D+\\d?$`,
  /** A version number after a `v`: `comp_v003.nk`. */
  versions: `v${DIGITS_PATTERN}`,
} as const;

/**
 * Accept Python `re` named groups too, so patterns copied from clique code
 * work unchanged: `(?P<name>…)` -> `(?<name>…)`, `(?P=name)` -> `\k<name>`.
 */
export function toJsPattern(pattern: string): string {
  return pattern.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
}
