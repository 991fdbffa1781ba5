/**
 * MD5 as HTTP carries it (Content-MD5, RFC 1864: base64 of the 16-byte digest)
 * and as URLs and Stowage carry it (lower-case hex).
 */

const BASE64_MD5 = /^[A-Za-z0-9+/]{22}==$/;
const HEX_MD5 = /^[0-9a-fA-F]{32}$/;

/** Hex MD5 from a Content-MD5 value, or undefined when it is not one. */
export function md5FromContentMd5(value: string): string | undefined {
  const trimmed = value.trim();
  if (!BASE64_MD5.test(trimmed)) return undefined;
  return Buffer.from(trimmed, 'base64').toString('hex');
}

/** Hex MD5 from a client-supplied checksum: base64 (ftrack's form) or hex. */
export function parseMd5(value: string): string | undefined {
  if (HEX_MD5.test(value)) return value.toLowerCase();
  return md5FromContentMd5(value);
}

/** The Content-MD5 form of a hex MD5. */
export function contentMd5FromHex(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
