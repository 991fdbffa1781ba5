import { describe, expect, it } from 'vitest';
import {
  canonicalMessage,
  computeSignature,
  SignatureError,
  type SignedParameters,
  signedQuery,
  signUrl,
  verifySignature,
} from '../src/index.js';

const SECRET = 'signature-test-secret-0123456789';
const future = () => Math.floor(Date.now() / 1000) + 3600;

function rejection(run: () => unknown): SignatureError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return error as SignatureError;
  }
  throw new Error('expected a SignatureError');
}

describe('canonical message', () => {
  it('is a JSON array with every parameter in a fixed order, null when absent', () => {
    expect(canonicalMessage('get', { id: 'abc' })).toBe(
      '["stowage-signature-v1","get","abc",null,null,null,null,null,null,null]',
    );
    expect(
      canonicalMessage('put', {
        id: 'abc',
        size: 5,
        md5: 'a'.repeat(32),
        sha256: 'b'.repeat(64),
        overwrite: true,
        user: 'ann',
        invitee: 'bob',
        timeout: 1700000000,
      }),
    ).toBe(
      `["stowage-signature-v1","put","abc",5,"${'a'.repeat(32)}","${'b'.repeat(64)}",true,"ann","bob",1700000000]`,
    );
  });

  it('cannot be made equal by moving characters between parameters', () => {
    const a = canonicalMessage('get', { id: 'ab', user: 'c' });
    const b = canonicalMessage('get', { id: 'a', user: 'bc' });
    const c = canonicalMessage('get', { id: 'a', user: '', invitee: 'bc' });
    const d = canonicalMessage('get', { id: 'a', invitee: 'bc' });
    expect(new Set([a, b, c, d]).size).toBe(4);
  });
});

describe('signUrl and verifySignature', () => {
  it('round-trips every parameter', () => {
    const parameters: SignedParameters = {
      id: 'a1b2-c3.d4_e5',
      size: 1234,
      md5: '0123456789abcdef0123456789abcdef',
      sha256: 'f'.repeat(64),
      overwrite: true,
      user: 'anna.lee@example.com',
      invitee: 'guest & co',
      timeout: future(),
    };
    const url = new URL(signUrl('http://files.example.com:9000', 'put', parameters, SECRET));
    expect(url.pathname).toBe('/put');
    expect(verifySignature('put', url.searchParams, SECRET)).toEqual(parameters);
    expect(verifySignature('put', url.search.slice(1), SECRET)).toEqual(parameters);
  });

  it('keeps a base path prefix and puts the signature last, URL-safe base64 without padding', () => {
    const url = new URL(signUrl('https://host/files', 'get', { id: 'x1', timeout: future() }, SECRET));
    expect(url.pathname).toBe('/files/get');
    expect([...url.searchParams.keys()]).toEqual(['id', 'timeout', 'signature']);
    expect(url.searchParams.get('signature')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('binds the signature to the action', () => {
    const query = signedQuery(SECRET, 'get', { id: 'x1', timeout: future() });
    expect(verifySignature('get', query, SECRET).id).toBe('x1');
    for (const action of ['put', 'remove', 'complete'] as const) {
      expect(rejection(() => verifySignature(action, query, SECRET)).statusCode).toBe(403);
    }
  });

  it('refuses a tampered signature, a tampered parameter and another secret', () => {
    const query = signedQuery(SECRET, 'get', { id: 'x1', user: 'ann', timeout: future() });
    const signature = query.get('signature')!;
    const tampered = new URLSearchParams(query);
    tampered.set('signature', (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1));
    expect(rejection(() => verifySignature('get', tampered, SECRET)).code).toBe('InvalidSignature');
    const otherUser = new URLSearchParams(query);
    otherUser.set('user', 'eve');
    expect(rejection(() => verifySignature('get', otherUser, SECRET)).code).toBe('InvalidSignature');
    const otherId = new URLSearchParams(query);
    otherId.set('id', 'x2');
    expect(rejection(() => verifySignature('get', otherId, SECRET)).code).toBe('InvalidSignature');
    expect(rejection(() => verifySignature('get', query, 'another-secret-0123456789')).statusCode).toBe(403);
  });

  it('refuses a dropped parameter and an added one', () => {
    const query = signedQuery(SECRET, 'put', { id: 'x1', size: 10, timeout: future() });
    const dropped = new URLSearchParams(query);
    dropped.delete('size');
    expect(rejection(() => verifySignature('put', dropped, SECRET)).code).toBe('InvalidSignature');
    const added = new URLSearchParams(query);
    added.set('overwrite', '1');
    expect(rejection(() => verifySignature('put', added, SECRET)).code).toBe('InvalidSignature');
    const unknown = new URLSearchParams(query);
    unknown.set('path', '../etc/passwd');
    const error = rejection(() => verifySignature('put', unknown, SECRET));
    expect([error.statusCode, error.code]).toEqual([400, 'UnknownParameter']);
  });

  it('refuses repeated parameters', () => {
    const query = signedQuery(SECRET, 'get', { id: 'x1', timeout: future() });
    query.append('id', 'x2');
    expect(rejection(() => verifySignature('get', query, SECRET)).code).toBe('RepeatedParameter');
  });

  it('refuses an expired URL and, by default, one without expiry', () => {
    const expired = signedQuery(SECRET, 'get', { id: 'x1', timeout: Math.floor(Date.now() / 1000) - 1 });
    expect(rejection(() => verifySignature('get', expired, SECRET)).code).toBe('Expired');
    const timeout = future();
    const valid = signedQuery(SECRET, 'get', { id: 'x1', timeout });
    expect(rejection(() => verifySignature('get', valid, SECRET, { now: timeout * 1000 + 1000 })).code).toBe(
      'Expired',
    );
    const forever = signedQuery(SECRET, 'get', { id: 'x1' });
    expect(rejection(() => verifySignature('get', forever, SECRET)).code).toBe('MissingTimeout');
    expect(verifySignature('get', forever, SECRET, { requireTimeout: false }).id).toBe('x1');
  });

  it('refuses a missing signature, a malformed one, and a missing or path-like id', () => {
    expect(rejection(() => verifySignature('get', `id=x1&timeout=${future()}`, SECRET)).code).toBe(
      'MissingSignature',
    );
    expect(
      rejection(() => verifySignature('get', `id=x1&timeout=${future()}&signature=abc=`, SECRET)).code,
    ).toBe('InvalidSignature');
    expect(rejection(() => verifySignature('get', 'signature=x', SECRET)).statusCode).toBe(400);
    for (const id of ['../x', '%2e%2e%2fx', 'a%2F%2Fb', '..', '', 'a\\b', 'a%00b', 'x'.repeat(256)]) {
      const query = `id=${id}&timeout=${future()}&signature=${'A'.repeat(43)}`;
      expect(rejection(() => verifySignature('get', query, SECRET)).code).toBe('InvalidId');
    }
  });

  it('refuses non-canonical numbers and digests', () => {
    const base = signedQuery(SECRET, 'put', { id: 'x1', size: 5, timeout: future() });
    for (const [name, value] of [
      ['size', '05'],
      ['size', '-5'],
      ['size', '5.0'],
      ['size', '1e3'],
      ['timeout', 'soon'],
      ['md5', 'ABCDEF0123456789ABCDEF0123456789'],
      ['overwrite', 'true'],
      ['user', 'a\nb'],
    ] as const) {
      const query = new URLSearchParams(base);
      query.set(name, value);
      expect(rejection(() => verifySignature('put', query, SECRET)).statusCode).toBe(400);
    }
  });

  it('verifies with any of several secrets and signs with the first (rotation)', () => {
    const old = 'old-secret-0123456789abcdef';
    const query = signedQuery(old, 'get', { id: 'x1', timeout: future() });
    expect(verifySignature('get', query, [SECRET, old]).id).toBe('x1');
    expect(computeSignature([SECRET, old], 'get', { id: 'x1' })).toBe(
      computeSignature(SECRET, 'get', { id: 'x1' }),
    );
  });
});
