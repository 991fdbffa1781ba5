/** clique's named patterns (Python `(?P<name>…)` written as JS `(?<name>…)`). */
export const DIGITS_PATTERN = '(?<index>(?<padding>0*)\\d+)';

export const PATTERNS = {
  digits: DIGITS_PATTERN,
  frames: `\\.${DIGITS_PATTERN}\\.\\D+\\d?$`,
  versions: `v${DIGITS_PATTERN}`,
} as const;
