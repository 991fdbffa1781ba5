import type { Accessor } from '@stowage/core';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyAuthenticator } from './api-keys.js';
import type { CorsOrigins } from './cors.js';
import { HttpError } from './http-error.js';
import {
  type SignatureSecret,
  type SignedAction,
  type SignedParameters,
  verifySignature,
} from './signature.js';

/** The resolved configuration every route works with. */
export interface ServerContext {
  accessor: Accessor;
  secret: SignatureSecret;
  authenticator: ApiKeyAuthenticator;
  maxBodySize: number;
  signatureTimeout: number;
  maxSignatureTimeout: number;
  requireTimeout: boolean;
  accelRedirect: string | undefined;
  corsOrigins: CorsOrigins;
  publicUrl: string | undefined;
  directUpload: boolean;
}

/** The raw query string: parsed by us, so repeated and unknown parameters are seen. */
export function rawQuery(request: FastifyRequest): string {
  const url = request.raw.url ?? '';
  const index = url.indexOf('?');
  return index < 0 ? '' : url.slice(index + 1);
}

export function verifyRequest(
  context: ServerContext,
  action: SignedAction,
  request: FastifyRequest,
): SignedParameters {
  return verifySignature(action, rawQuery(request), context.secret, {
    requireTimeout: context.requireTimeout,
  });
}

/** The public root URL for URLs handed to clients. */
export function publicBaseUrl(context: ServerContext, request: FastifyRequest): string {
  if (context.publicUrl) return context.publicUrl;
  const host = request.host;
  if (!host || !/^[A-Za-z0-9.\-:[\]]+$/.test(host))
    throw new HttpError(400, 'InvalidHost', 'A valid Host header is required (or configure publicUrl).');
  return `${request.protocol}://${host}/`;
}

/** Unix seconds `seconds` from now. */
export function expiryFromNow(seconds: number): number {
  return Math.floor(Date.now() / 1000) + seconds;
}
