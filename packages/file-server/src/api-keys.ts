import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** `user:key,user:key` (the env form), or a map of user to key(s). */
export type ApiKeys = string | Record<string, string | readonly string[]>;

/** Header pairs an API client may authenticate with: Stowage's, and ftrack's. */
export const API_KEY_HEADERS = [
  { user: 'x-stowage-api-user', key: 'x-stowage-api-key' },
  { user: 'ftrack-user', key: 'ftrack-api-key' },
] as const;

const MIN_KEY_LENGTH = 16;
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * API keys per user. Only SHA-256 digests are kept, and every check compares
 * digests in constant time, so neither a key nor its length leaks through
 * timing.
 */
export class ApiKeyAuthenticator {
  private readonly keys = new Map<string, Buffer[]>();
  private readonly decoy = digest('stowage-decoy');

  constructor(apiKeys: ApiKeys = {}) {
    const entries: Array<[string, string]> = [];
    if (typeof apiKeys === 'string') {
      for (const pair of apiKeys.split(',')) {
        if (pair.trim() === '') continue;
        const colon = pair.indexOf(':');
        if (colon < 0) throw new TypeError('API keys must be given as user:key pairs separated by commas.');
        entries.push([pair.slice(0, colon).trim(), pair.slice(colon + 1).trim()]);
      }
    } else {
      for (const [user, keys] of Object.entries(apiKeys))
        for (const key of typeof keys === 'string' ? [keys] : keys) entries.push([user, key]);
    }
    for (const [user, key] of entries) {
      // The message names the user, never the key.
      if (user === '') throw new TypeError('An API key has an empty user name.');
      if (key.length < MIN_KEY_LENGTH)
        throw new TypeError(`The API key of user "${user}" is shorter than ${MIN_KEY_LENGTH} characters.`);
      const list = this.keys.get(user) ?? [];
      list.push(digest(key));
      this.keys.set(user, list);
    }
  }

  get size(): number {
    return this.keys.size;
  }

  /** The user a request authenticates as, or undefined. */
  authenticate(headers: IncomingHttpHeaders): string | undefined {
    for (const names of API_KEY_HEADERS) {
      const user = headers[names.user];
      const key = headers[names.key];
      if (typeof user !== 'string' || typeof key !== 'string') continue;
      const given = digest(key);
      const candidates = this.keys.get(user) ?? [this.decoy];
      let match = false;
      for (const candidate of candidates) match = timingSafeEqual(given, candidate) || match;
      return match && this.keys.has(user) ? user : undefined;
    }
    return undefined;
  }
}
