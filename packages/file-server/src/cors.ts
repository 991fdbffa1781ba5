/**
 * CORS, as the self-hosted ftrack server location needs it: browsers upload
 * with XHR/fetch to /put from the web app's origin, and read /get.
 *
 * One deviation from ftrack's nginx example: it sends `Allow-Origin: *`
 * together with `Allow-Credentials: true`, which browsers reject. Here `*`
 * goes without credentials, and a list of origins echoes the matching origin
 * with credentials allowed.
 */

/** '*' for any origin, or the exact origins allowed (`https://ftrack.example.com`). */
export type CorsOrigins = '*' | readonly string[];

const ALLOW_HEADERS = [
  'content-type',
  'content-md5',
  'content-length',
  'content-disposition',
  'ftrack-scope',
  'x-requested-with',
  'range',
  'if-match',
  'if-none-match',
  'if-range',
  'x-stowage-api-key',
  'x-stowage-api-user',
  'ftrack-api-key',
  'ftrack-user',
].join(', ');

const EXPOSE_HEADERS = [
  'etag',
  'content-length',
  'content-range',
  'accept-ranges',
  'content-md5',
  'last-modified',
  'content-disposition',
].join(', ');

/** Cache preflights for 20 days, as ftrack's example does. */
const MAX_AGE = String(20 * 24 * 3600);

function allowOrigin(origins: CorsOrigins, origin: string | undefined): Record<string, string> {
  if (origins === '*') return { 'access-control-allow-origin': '*' };
  const headers: Record<string, string> = { vary: 'Origin' };
  if (origin !== undefined && origins.includes(origin)) {
    headers['access-control-allow-origin'] = origin;
    headers['access-control-allow-credentials'] = 'true';
  }
  return headers;
}

/** Headers for an actual (non-preflight) response. */
export function corsHeaders(origins: CorsOrigins, origin: string | undefined): Record<string, string> {
  const headers = allowOrigin(origins, origin);
  if (headers['access-control-allow-origin']) headers['access-control-expose-headers'] = EXPOSE_HEADERS;
  return headers;
}

/** Headers for an OPTIONS preflight of `path`. */
export function preflightHeaders(
  origins: CorsOrigins,
  origin: string | undefined,
  path: string,
): Record<string, string> {
  const headers = allowOrigin(origins, origin);
  if (!headers['access-control-allow-origin']) return headers;
  return {
    ...headers,
    'access-control-allow-methods': path === '/put' ? 'PUT, OPTIONS' : 'GET, HEAD, POST, DELETE, OPTIONS',
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-max-age': MAX_AGE,
  };
}
