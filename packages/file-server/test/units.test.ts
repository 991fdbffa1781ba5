import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ApiKeyAuthenticator,
  contentDisposition,
  contentMd5FromHex,
  corsHeaders,
  fileServerOptionsFromEnv,
  isValidComponentId,
  md5FromContentMd5,
  parseByteSize,
  parseMd5,
  parseRange,
  preflightHeaders,
  redactUrl,
  storagePath,
} from '../src/index.js';

describe('component ids and storage paths', () => {
  it('accepts uuids and relative paths of safe names', () => {
    for (const id of [
      '3a372bde-05bc-11e4-8908-20c9d081909b',
      'a',
      'A.b_c-1',
      'x'.repeat(255),
      'a/b',
      '3a/372bde/3a372bde-05bc-11e4-8908-20c9d081909b.exr',
      'with space.txt',
      '.hidden',
      'ünïcödé/日本語.txt',
    ])
      expect(isValidComponentId(id), id).toBe(true);
    for (const id of [
      '',
      '.',
      '..',
      '../x',
      'a/../b',
      './a',
      'a//b',
      'a/',
      '/etc/passwd',
      'a\\b',
      'x'.repeat(256),
      'é'.repeat(128),
      'a\u0000',
      'a\nb',
      'dir/.f.stowage-0123456789ab.tmp',
      7,
    ])
      expect(isValidComponentId(id), String(id)).toBe(false);
  });

  it('stores a component at its id, and refuses invalid ids', () => {
    expect(storagePath('3a372bde-05bc-11e4-8908-20c9d081909b')).toBe('3a372bde-05bc-11e4-8908-20c9d081909b');
    expect(storagePath('a/b/c.exr')).toBe('a/b/c.exr');
    expect(() => storagePath('../x')).toThrow(TypeError);
  });
});

describe('ranges', () => {
  it('parses one range and clamps it to the size', () => {
    expect(parseRange(undefined, 10)).toEqual({ type: 'full' });
    expect(parseRange('bytes=0-0', 10)).toEqual({ type: 'partial', start: 0, end: 0 });
    expect(parseRange('bytes=2-5', 10)).toEqual({ type: 'partial', start: 2, end: 5 });
    expect(parseRange('bytes=7-', 10)).toEqual({ type: 'partial', start: 7, end: 9 });
    expect(parseRange('bytes=5-100', 10)).toEqual({ type: 'partial', start: 5, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ type: 'partial', start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ type: 'partial', start: 0, end: 9 });
  });

  it('says unsatisfiable past the end and ignores what it does not understand', () => {
    expect(parseRange('bytes=10-', 10)).toEqual({ type: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 10)).toEqual({ type: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ type: 'unsatisfiable' });
    for (const header of ['bytes=5-2', 'bytes=0-1,3-4', 'items=0-1', 'bytes=-', 'bytes=a-b'])
      expect(parseRange(header, 10)).toEqual({ type: 'full' });
  });
});

describe('MD5 forms', () => {
  it('converts between Content-MD5 (base64) and hex', () => {
    const hex = '5d41402abc4b2a76b9719d911017c592';
    expect(contentMd5FromHex(hex)).toBe('XUFAKrxLKna5cZ2REBfFkg==');
    expect(md5FromContentMd5('XUFAKrxLKna5cZ2REBfFkg==')).toBe(hex);
    expect(parseMd5(hex.toUpperCase())).toBe(hex);
    expect(parseMd5('XUFAKrxLKna5cZ2REBfFkg==')).toBe(hex);
    expect(md5FromContentMd5('not-md5')).toBeUndefined();
    expect(parseMd5('abc')).toBeUndefined();
  });
});

describe('API keys', () => {
  const key = 'k'.repeat(20);
  it('parses user:key pairs and authenticates both header styles', () => {
    const auth = new ApiKeyAuthenticator(`ann:${key}, bob:${'b'.repeat(16)}:with-colon`);
    expect(auth.size).toBe(2);
    expect(auth.authenticate({ 'x-stowage-api-user': 'ann', 'x-stowage-api-key': key })).toBe('ann');
    expect(auth.authenticate({ 'ftrack-user': 'ann', 'ftrack-api-key': key })).toBe('ann');
    expect(
      auth.authenticate({ 'x-stowage-api-user': 'bob', 'x-stowage-api-key': `${'b'.repeat(16)}:with-colon` }),
    ).toBe('bob');
  });

  it('refuses wrong keys, other users and missing headers', () => {
    const auth = new ApiKeyAuthenticator({ ann: key, bob: ['b'.repeat(16), 'c'.repeat(16)] });
    expect(
      auth.authenticate({ 'x-stowage-api-user': 'ann', 'x-stowage-api-key': `${key}x` }),
    ).toBeUndefined();
    expect(auth.authenticate({ 'x-stowage-api-user': 'bob', 'x-stowage-api-key': key })).toBeUndefined();
    expect(auth.authenticate({ 'x-stowage-api-user': 'eve', 'x-stowage-api-key': key })).toBeUndefined();
    expect(auth.authenticate({ 'x-stowage-api-key': key })).toBeUndefined();
    expect(auth.authenticate({ 'x-stowage-api-user': 'bob', 'x-stowage-api-key': 'c'.repeat(16) })).toBe(
      'bob',
    );
  });

  it('refuses short keys without printing them', () => {
    expect(() => new ApiKeyAuthenticator('ann:short-key')).toThrow(/user "ann" is shorter/);
    expect(() => new ApiKeyAuthenticator('ann:short-key')).not.toThrow(/short-key/);
    expect(() => new ApiKeyAuthenticator('no-colon')).toThrow(TypeError);
  });
});

describe('CORS', () => {
  it('answers any origin without credentials for *', () => {
    expect(corsHeaders('*', 'https://a.example')).toMatchObject({ 'access-control-allow-origin': '*' });
    expect(corsHeaders('*', undefined)['access-control-allow-credentials']).toBeUndefined();
  });

  it('echoes a listed origin with credentials, and nothing for others', () => {
    const origins = ['https://ftrack.example.com'];
    expect(corsHeaders(origins, 'https://ftrack.example.com')).toMatchObject({
      'access-control-allow-origin': 'https://ftrack.example.com',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
    expect(corsHeaders(origins, 'https://evil.example')['access-control-allow-origin']).toBeUndefined();
    expect(
      preflightHeaders(origins, 'https://evil.example', '/put')['access-control-allow-methods'],
    ).toBeUndefined();
  });

  it('lists the methods and headers of the seed example on preflights', () => {
    const put = preflightHeaders('*', undefined, '/put');
    expect(put['access-control-allow-methods']).toBe('PUT, OPTIONS');
    expect(put['access-control-allow-headers']).toContain('content-md5');
    expect(put['access-control-allow-headers']).toContain('content-disposition');
    expect(put['access-control-max-age']).toBe('1728000');
    expect(preflightHeaders('*', undefined, '/get')['access-control-allow-headers']).toContain(
      'ftrack-scope',
    );
  });
});

describe('configuration', () => {
  it('reads STOWAGE_FILE_SERVER_* variables', () => {
    const options = fileServerOptionsFromEnv({
      STOWAGE_FILE_SERVER_SECRET: 'env-secret-0123456789',
      STOWAGE_FILE_SERVER_PORT: '9001',
      STOWAGE_FILE_SERVER_HOST: '0.0.0.0',
      STOWAGE_FILE_SERVER_ROOT: '/srv/files',
      STOWAGE_FILE_SERVER_API_KEYS: 'ann:0123456789abcdef',
      STOWAGE_FILE_SERVER_MAX_BODY: '2G',
      STOWAGE_FILE_SERVER_ACCEL_REDIRECT: '/protected/',
      STOWAGE_FILE_SERVER_CORS_ORIGINS: 'https://a.example, https://b.example',
      STOWAGE_FILE_SERVER_SIGNATURE_TIMEOUT: '600',
    });
    expect(options).toMatchObject({
      secret: 'env-secret-0123456789',
      port: 9001,
      host: '0.0.0.0',
      root: '/srv/files',
      apiKeys: 'ann:0123456789abcdef',
      maxBodySize: 2 * 1024 ** 3,
      accelRedirect: '/protected/',
      corsOrigins: ['https://a.example', 'https://b.example'],
      signatureTimeout: 600,
    });
  });

  it('layers a JSON file, the environment and overrides; reads the secret from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stowage-config-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ port: 1, root: '/from-file', corsOrigins: '*' }),
    );
    writeFileSync(join(dir, 'secret'), 'file-secret-0123456789\n');
    const options = fileServerOptionsFromEnv(
      {
        STOWAGE_FILE_SERVER_CONFIG: join(dir, 'config.json'),
        STOWAGE_FILE_SERVER_SECRET_FILE: join(dir, 'secret'),
        STOWAGE_FILE_SERVER_PORT: '2',
      },
      { root: '/override' },
    );
    expect(options).toMatchObject({
      port: 2,
      root: '/override',
      corsOrigins: '*',
      secret: 'file-secret-0123456789',
    });
  });

  it('needs a secret, and says how to give it without echoing anything', () => {
    expect(() => fileServerOptionsFromEnv({})).toThrow(/STOWAGE_FILE_SERVER_SECRET/);
  });

  it('parses byte sizes', () => {
    expect(parseByteSize('1048576')).toBe(1048576);
    expect(parseByteSize('512M')).toBe(512 * 1024 ** 2);
    expect(parseByteSize('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('2TiB')).toBe(2 * 1024 ** 4);
    expect(() => parseByteSize('lots')).toThrow(TypeError);
  });
});

describe('helpers', () => {
  it('redacts signatures from logged URLs', () => {
    expect(redactUrl('/get?id=a&signature=SECRETSIG&timeout=1')).toBe(
      '/get?id=a&signature=[redacted]&timeout=1',
    );
  });

  it('builds Content-Disposition with an RFC 5987 name when needed', () => {
    expect(contentDisposition('image.png')).toBe('attachment; filename="image.png"');
    expect(contentDisposition('plan "v2".exr')).toBe(
      `attachment; filename="plan _v2_.exr"; filename*=UTF-8''plan%20%22v2%22.exr`,
    );
    expect(contentDisposition('ünï.txt')).toContain("filename*=UTF-8''%C3%BCn%C3%AF.txt");
  });
});
