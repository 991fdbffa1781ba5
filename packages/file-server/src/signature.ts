import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-error.js';
import { isValidComponentId } from './ids.js';

/**
 * Signed URLs. The signature is HMAC-SHA256, keyed with the server secret,
 * over a canonical message: a JSON array of a version tag, the action (which
 * endpoint the URL is for, so a download URL cannot remove) and every
 * parameter in a fixed order, `null` when absent. JSON strings cannot run
 * into each other, so two different parameter sets never share a message.
 * The signature is URL-safe base64 without padding.
 */

export type SignedAction = 'put' | 'get' | 'remove' | 'complete';

export const SIGNED_ACTIONS: readonly SignedAction[] = ['put', 'get', 'remove', 'complete'];

export interface SignedParameters {
  /** Component id. */
  id: string;
  /** Exact body size a PUT must have (bytes). */
  size?: number | undefined;
  /** MD5 a PUT body must have (lower-case hex). */
  md5?: string | undefined;
  /** SHA-256 a PUT body must have (lower-case hex). */
  sha256?: string | undefined;
  /** A PUT may replace an existing component. */
  overwrite?: boolean | undefined;
  /** Who the URL was issued to (ftrack's `user`). */
  user?: string | undefined;
  /** Review session invitee (ftrack's `invitee`). */
  invitee?: string | undefined;
  /** Expiry, UTC unix seconds (ftrack's `timeout`). */
  timeout?: number | undefined;
}

/** One secret, or several while rotating: the first signs, any verifies. */
export type SignatureSecret = string | Buffer | ReadonlyArray<string | Buffer>;

const VERSION = 'stowage-signature-v1';

/** The exact bytes the HMAC covers. */
export function canonicalMessage(action: SignedAction, parameters: SignedParameters): string {
  return JSON.stringify([
    VERSION,
    action,
    parameters.id,
    parameters.size ?? null,
    parameters.md5 ?? null,
    parameters.sha256 ?? null,
    parameters.overwrite === true ? true : null,
    parameters.user ?? null,
    parameters.invitee ?? null,
    parameters.timeout ?? null,
  ]);
}

function secrets(secret: SignatureSecret): Array<string | Buffer> {
  const list = typeof secret === 'string' || Buffer.isBuffer(secret) ? [secret] : [...secret];
  if (list.length === 0) throw new TypeError('No signing secret configured.');
  return list;
}

/** The signature of `parameters` for `action` (URL-safe base64, no padding). */
export function computeSignature(
  secret: SignatureSecret,
  action: SignedAction,
  parameters: SignedParameters,
): string {
  return createHmac('sha256', secrets(secret)[0]!)
    .update(canonicalMessage(action, parameters))
    .digest('base64url');
}

/** The query string of a signed URL, parameters in canonical order, signature last. */
export function signedQuery(
  secret: SignatureSecret,
  action: SignedAction,
  parameters: SignedParameters,
): URLSearchParams {
  const query = new URLSearchParams();
  query.set('id', parameters.id);
  if (parameters.size !== undefined) query.set('size', String(parameters.size));
  if (parameters.md5 !== undefined) query.set('md5', parameters.md5);
  if (parameters.sha256 !== undefined) query.set('sha256', parameters.sha256);
  if (parameters.overwrite === true) query.set('overwrite', '1');
  if (parameters.user !== undefined) query.set('user', parameters.user);
  if (parameters.invitee !== undefined) query.set('invitee', parameters.invitee);
  if (parameters.timeout !== undefined) query.set('timeout', String(parameters.timeout));
  query.set('signature', computeSignature(secret, action, parameters));
  return query;
}

/**
 * A signed URL for `action` under `baseUrl` (the server's public root, which
 * may have a path prefix): `<base>/put?id=...&timeout=...&signature=...`.
 */
export function signUrl(
  baseUrl: string | URL,
  action: SignedAction,
  parameters: SignedParameters,
  secret: SignatureSecret,
): string {
  const base = new URL(String(baseUrl));
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const url = new URL(action, base);
  url.search = signedQuery(secret, action, parameters).toString();
  return url.toString();
}

/** A rejected signed URL: 400 when malformed, 403 when not authentic or expired. */
export class SignatureError extends HttpError {
  constructor(statusCode: 400 | 403, code: string, message: string) {
    super(statusCode, code, message);
    this.name = 'SignatureError';
  }
}

export interface VerifyOptions {
  /** Current time in ms (tests). */
  now?: number;
  /** Refuse URLs without `timeout` (default true: a URL must expire). */
  requireTimeout?: boolean;
}

const ALLOWED = new Set([
  'id',
  'size',
  'md5',
  'sha256',
  'overwrite',
  'user',
  'invitee',
  'timeout',
  'signature',
]);
const INTEGER = /^(0|[1-9][0-9]{0,15})$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

function integer(name: string, value: string): number {
  const number = Number(value);
  if (!INTEGER.test(value) || !Number.isSafeInteger(number))
    throw new SignatureError(400, 'InvalidParameter', `Parameter "${name}" must be a non-negative integer.`);
  return number;
}

function hex(name: string, value: string, length: number): string {
  if (value.length !== length || !/^[0-9a-f]+$/.test(value))
    throw new SignatureError(
      400,
      'InvalidParameter',
      `Parameter "${name}" must be ${length} lower-case hex digits.`,
    );
  return value;
}

function text(name: string, value: string): string {
  if (value.length > 256 || CONTROL.test(value))
    throw new SignatureError(400, 'InvalidParameter', `Parameter "${name}" is not acceptable.`);
  return value;
}

/**
 * Check a signed URL's query for `action` and return its parameters. Unknown
 * or repeated parameters are refused, so nothing unsigned can ride along.
 * Throws SignatureError.
 */
export function verifySignature(
  action: SignedAction,
  query: URLSearchParams | string,
  secret: SignatureSecret,
  options: VerifyOptions = {},
): SignedParameters {
  const search = typeof query === 'string' ? new URLSearchParams(query) : query;
  const seen = new Set<string>();
  for (const key of search.keys()) {
    if (!ALLOWED.has(key))
      throw new SignatureError(400, 'UnknownParameter', `Unknown parameter "${key.slice(0, 64)}".`);
    if (seen.has(key)) throw new SignatureError(400, 'RepeatedParameter', `Parameter "${key}" is repeated.`);
    seen.add(key);
  }
  const id = search.get('id');
  if (id === null) throw new SignatureError(400, 'MissingParameter', 'Parameter "id" is required.');
  if (!isValidComponentId(id))
    throw new SignatureError(400, 'InvalidId', 'Parameter "id" is not a valid component id.');
  const value = (name: string) => search.get(name) ?? undefined;
  const parameters: SignedParameters = { id };
  const size = value('size');
  if (size !== undefined) parameters.size = integer('size', size);
  const md5 = value('md5');
  if (md5 !== undefined) parameters.md5 = hex('md5', md5, 32);
  const sha256 = value('sha256');
  if (sha256 !== undefined) parameters.sha256 = hex('sha256', sha256, 64);
  const overwrite = value('overwrite');
  if (overwrite !== undefined) {
    if (overwrite !== '1')
      throw new SignatureError(400, 'InvalidParameter', 'Parameter "overwrite" must be 1.');
    parameters.overwrite = true;
  }
  const user = value('user');
  if (user !== undefined) parameters.user = text('user', user);
  const invitee = value('invitee');
  if (invitee !== undefined) parameters.invitee = text('invitee', invitee);
  const timeout = value('timeout');
  if (timeout !== undefined) parameters.timeout = integer('timeout', timeout);

  const signature = value('signature');
  if (signature === undefined) throw new SignatureError(403, 'MissingSignature', 'The URL is not signed.');
  if (!SIGNATURE.test(signature))
    throw new SignatureError(403, 'InvalidSignature', 'The signature is not valid.');
  const given = Buffer.from(signature);
  const authentic = secrets(secret).some((key) =>
    // Both sides are 43 ASCII bytes, so the comparison takes the same time whatever matches.
    timingSafeEqual(given, Buffer.from(computeSignature([key], action, parameters))),
  );
  if (!authentic) throw new SignatureError(403, 'InvalidSignature', 'The signature is not valid.');

  if (parameters.timeout === undefined) {
    if (options.requireTimeout ?? true)
      throw new SignatureError(403, 'MissingTimeout', 'The URL has no expiry; this server requires one.');
  } else if (parameters.timeout * 1000 < (options.now ?? Date.now())) {
    throw new SignatureError(403, 'Expired', 'The URL has expired.');
  }
  return parameters;
}
