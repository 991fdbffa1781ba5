/**
 * Make a path part safe for any filesystem, as ftrack's
 * `sanitise_for_filesystem`: NFKD-normalise, drop what is not ASCII, replace
 * every character outside `[\w.-]` with `substitute`, trim, lower-case. With a
 * null substitute the value is returned unchanged.
 */
export function sanitiseForFilesystem(value: string, substitute: string | null = '_'): string {
  if (substitute === null) return value;
  const ascii = value.normalize('NFKD').replace(/[^\x00-\x7f]/g, '');
  return ascii
    .replace(/[^\w.-]/g, substitute)
    .trim()
    .toLowerCase();
}
