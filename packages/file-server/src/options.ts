import { readFileSync } from 'node:fs';
import type { Accessor } from '@stowage/core';
import type { ApiKeys } from './api-keys.js';
import type { CorsOrigins } from './cors.js';
import type { SignatureSecret } from './signature.js';

export interface FileServerOptions {
  /** Where components are stored (any Stowage accessor). Default: a DiskAccessor at `root`. */
  accessor?: Accessor;
  /** Storage folder for the default DiskAccessor. */
  root?: string;
  /** HMAC secret for signed URLs; several while rotating (the first signs). At least 16 characters. */
  secret: SignatureSecret;
  /** API keys for /api/*: `user:key,...` or `{user: key}`. Without any, /api/* refuses everyone. */
  apiKeys?: ApiKeys;
  /** Largest upload in bytes (413 above it). Default 100 GiB. */
  maxBodySize?: number;
  /** Lifetime of the URLs the server signs, in seconds (ftrack's default: 24 h). */
  signatureTimeout?: number;
  /** Longest lifetime a client may ask /api/sign for, in seconds. Default 7 days. */
  maxSignatureTimeout?: number;
  /** Refuse signed URLs without `timeout` (default true). */
  requireTimeout?: boolean;
  /**
   * nginx mode: /get answers with `X-Accel-Redirect: <prefix><storage path>`
   * and nginx serves the bytes from an `internal` location (e.g. '/protected/').
   */
  accelRedirect?: string | false;
  /** Origins allowed by CORS: '*' (default) or a list. */
  corsOrigins?: CorsOrigins;
  /** Public root URL for the URLs the server hands out. Default: from the request (Host, X-Forwarded-*). */
  publicUrl?: string;
  /**
   * Hand out the storage's own presigned PUT URLs (when the accessor has
   * `getUploadUrl`), with a completion URL. Default false.
   */
  directUpload?: boolean;
  /** Whose X-Forwarded-* headers to trust (Fastify's trustProxy). Default '127.0.0.1,::1'. */
  trustProxy?: boolean | string | string[];
  /** Log requests (JSON lines on stdout; signatures redacted). Default false. */
  logger?: boolean;
}

export interface StartFileServerOptions extends FileServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}

export const DEFAULTS = {
  maxBodySize: 100 * 1024 ** 3,
  signatureTimeout: 24 * 3600,
  maxSignatureTimeout: 7 * 24 * 3600,
  trustProxy: '127.0.0.1,::1',
} as const;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes from `1048576`, `512M`, `10G`, `1T` (binary units). */
export function parseByteSize(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(value);
  if (!match) throw new TypeError(`Not a size: ${JSON.stringify(value)} (use bytes, or K, M, G, T).`);
  return Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
}

type Env = Record<string, string | undefined>;
const PREFIX = 'STOWAGE_FILE_SERVER_';

/**
 * Options from a JSON file (`STOWAGE_FILE_SERVER_CONFIG`, same keys as
 * StartFileServerOptions), then the environment, then `overrides`, each
 * winning over the one before:
 *
 *   STOWAGE_FILE_SERVER_SECRET (or _SECRET_FILE), _PORT, _HOST, _ROOT,
 *   _API_KEYS (user:key,...), _MAX_BODY (bytes or 10G), _ACCEL_REDIRECT,
 *   _CORS_ORIGINS (* or a comma list), _PUBLIC_URL, _SIGNATURE_TIMEOUT (s),
 *   _TRUST_PROXY, _DIRECT_UPLOAD (1), _LOG (1)
 */
export function fileServerOptionsFromEnv(
  env: Env = process.env,
  overrides: Partial<StartFileServerOptions> = {},
): StartFileServerOptions {
  const get = (name: string) => {
    const value = env[PREFIX + name];
    return value === undefined || value === '' ? undefined : value;
  };
  const configFile = get('CONFIG');
  const fromFile = configFile
    ? (JSON.parse(readFileSync(configFile, 'utf8')) as Partial<StartFileServerOptions>)
    : {};
  const fromEnv: Partial<StartFileServerOptions> = {};
  const secretFile = get('SECRET_FILE');
  const secret = get('SECRET') ?? (secretFile ? readFileSync(secretFile, 'utf8').trim() : undefined);
  if (secret !== undefined) fromEnv.secret = secret;
  const port = get('PORT');
  if (port !== undefined) fromEnv.port = Number(port);
  const host = get('HOST');
  if (host !== undefined) fromEnv.host = host;
  const root = get('ROOT');
  if (root !== undefined) fromEnv.root = root;
  const apiKeys = get('API_KEYS');
  if (apiKeys !== undefined) fromEnv.apiKeys = apiKeys;
  const maxBody = get('MAX_BODY');
  if (maxBody !== undefined) fromEnv.maxBodySize = parseByteSize(maxBody);
  const accel = get('ACCEL_REDIRECT');
  if (accel !== undefined) fromEnv.accelRedirect = accel;
  const cors = get('CORS_ORIGINS');
  if (cors !== undefined)
    fromEnv.corsOrigins =
      cors.trim() === '*'
        ? '*'
        : cors
            .split(',')
            .map((origin) => origin.trim())
            .filter(Boolean);
  const publicUrl = get('PUBLIC_URL');
  if (publicUrl !== undefined) fromEnv.publicUrl = publicUrl;
  const timeout = get('SIGNATURE_TIMEOUT');
  if (timeout !== undefined) fromEnv.signatureTimeout = Number(timeout);
  const trustProxy = get('TRUST_PROXY');
  if (trustProxy !== undefined)
    fromEnv.trustProxy = trustProxy === 'true' ? true : trustProxy === 'false' ? false : trustProxy;
  const direct = get('DIRECT_UPLOAD');
  if (direct !== undefined) fromEnv.directUpload = direct === '1' || direct === 'true';
  const log = get('LOG');
  if (log !== undefined) fromEnv.logger = log === '1' || log === 'true';

  const options = { ...fromFile, ...fromEnv, ...overrides } as StartFileServerOptions;
  if (options.secret === undefined)
    throw new TypeError(`The file server needs a secret: set ${PREFIX}SECRET (or ${PREFIX}SECRET_FILE).`);
  return options;
}
