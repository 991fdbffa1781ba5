/**
 * Parse the reply to `MLST <path>` (RFC 3659 section 7): a multi-line 250
 * whose entry line is ` fact=value;fact=value; pathname`.
 */
export interface MlstEntry {
  type: 'file' | 'dir' | 'other';
  size?: number;
  modified?: Date;
}

export function parseMlstReply(message: string): MlstEntry | undefined {
  const line = message.split(/\r?\n/).find((candidate) => candidate.startsWith(' '));
  if (!line) return undefined;
  const space = line.indexOf(' ', 1);
  const factText = space < 0 ? line.slice(1) : line.slice(1, space);
  const facts = new Map<string, string>();
  for (const fact of factText.split(';')) {
    const equals = fact.indexOf('=');
    if (equals > 0) facts.set(fact.slice(0, equals).toLowerCase(), fact.slice(equals + 1));
  }
  const type = (facts.get('type') ?? '').toLowerCase();
  const entry: MlstEntry = {
    type: type === 'file' ? 'file' : type === 'dir' || type === 'cdir' || type === 'pdir' ? 'dir' : 'other',
  };
  const size = facts.get('size');
  if (size !== undefined && /^\d+$/.test(size)) entry.size = Number(size);
  const modify = facts.get('modify');
  if (modify) entry.modified = parseMlsxTime(modify);
  return entry;
}

/** `YYYYMMDDHHMMSS[.sss]`, always UTC. */
export function parseMlsxTime(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3}))?/.exec(value.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction] = match;
  const millis = fraction ? Number(fraction.padEnd(3, '0')) : 0;
  return new Date(
    Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second),
      millis,
    ),
  );
}
