import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { AccessorOperationFailedError } from '@stowage/core';
import { type AnyAuthMethod, Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { CoalescingSocket } from './coalescing-socket.js';
import type { SftpAccessorOptions } from './options.js';
import { toAccessorError } from './sftp-errors.js';

/** One SSH connection with its SFTP channel, shared by the operations using it. */
export interface SftpConnection {
  readonly sftp: SFTPWrapper;
  /** Operations and streams currently using it. */
  readonly users: number;
  /** False once the connection dropped or was closed. */
  readonly alive: boolean;
}

interface Entry {
  client: Client;
  ready: Promise<SFTPWrapper>;
  sftp: SFTPWrapper | undefined;
  users: number;
  alive: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

const DEFAULT_KEY_FILES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** Connections of a pool not told otherwise (SftpAccessorOptions.poolSize). */
export const DEFAULT_POOL_SIZE = 4;

/**
 * A small pool of SSH connections. An operation takes the least used
 * connection, opening another while fewer than `poolSize` exist; it never
 * waits for one to free up, so nested use (read from and write to the same
 * server) cannot deadlock. A dropped connection leaves the pool and the next
 * operation opens a new one. Idle connections close after `idleTimeout`.
 */
export class SftpConnectionPool {
  private readonly entries: Entry[] = [];
  private closed = false;
  private readonly size: number;
  private readonly idleTimeout: number;

  constructor(private readonly options: SftpAccessorOptions) {
    this.size = Math.max(1, options.poolSize ?? DEFAULT_POOL_SIZE);
    this.idleTimeout = options.idleTimeout ?? 10_000;
  }

  /** Connections open or opening now. */
  get connectionCount(): number {
    return this.entries.length;
  }

  /** Take a connection; hand it back with `release`. */
  async acquire(): Promise<SftpConnection & { release(): void }> {
    if (this.closed) {
      throw new AccessorOperationFailedError({
        operation: 'connect',
        message: 'The SFTP accessor is closed.',
      });
    }
    let entry = this.leastUsed();
    if (!entry || (entry.users > 0 && this.entries.length < this.size)) entry = this.open();
    entry.users++;
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.release(entry);
    };
    try {
      const sftp = await entry.ready;
      return {
        sftp,
        release,
        get users() {
          return entry.users;
        },
        get alive() {
          return entry.alive;
        },
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Close every connection; later `acquire` calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const entries = this.entries.splice(0);
    await Promise.all(entries.map((entry) => this.end(entry)));
  }

  private leastUsed(): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.entries) if (!best || entry.users < best.users) best = entry;
    return best;
  }

  private release(entry: Entry): void {
    entry.users--;
    if (entry.users > 0 || !entry.alive) return;
    entry.idleTimer = setTimeout(() => {
      if (entry.users > 0) return;
      this.drop(entry);
      void this.end(entry);
    }, this.idleTimeout);
    // An idle connection must not keep the process alive by itself.
    entry.idleTimer.unref();
  }

  private drop(entry: Entry): void {
    entry.alive = false;
    const index = this.entries.indexOf(entry);
    if (index >= 0) this.entries.splice(index, 1);
  }

  private end(entry: Entry): Promise<void> {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.alive = false;
    return new Promise((resolve) => {
      const client = entry.client;
      const timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, 2000);
      timer.unref();
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }

  private open(): Entry {
    const client = new Client();
    const entry: Entry = {
      client,
      ready: undefined as unknown as Promise<SFTPWrapper>,
      sftp: undefined,
      users: 0,
      alive: true,
      idleTimer: undefined,
    };
    this.entries.push(entry);
    // A drop after "ready" is seen by the operations in flight; errors without
    // a listener would crash the process.
    client.on('error', () => this.drop(entry));
    client.on('close', () => this.drop(entry));
    client.on('end', () => this.drop(entry));
    entry.ready = this.connect(client).then(
      (sftp) => {
        entry.sftp = sftp;
        sftp.on('close', () => this.drop(entry));
        sftp.on('error', () => this.drop(entry));
        return sftp;
      },
      (error: unknown) => {
        this.drop(entry);
        client.destroy();
        throw toAccessorError(error, { operation: 'connect' });
      },
    );
    // acquire() awaits it; this keeps an early failure from counting as unhandled.
    entry.ready.catch(() => {});
    return entry;
  }

  private async connect(client: Client): Promise<SFTPWrapper> {
    const config = await this.connectConfig();
    return new Promise<SFTPWrapper>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      const onClose = () => reject(new Error('Connection closed before it was ready'));
      client.once('error', onError);
      client.once('close', onClose);
      client.once('ready', () => {
        client.sftp((error, sftp) => {
          client.off('error', onError);
          client.off('close', onClose);
          if (error) reject(error);
          else resolve(sftp);
        });
      });
      // Our own socket, connecting before ssh2 sees it (ssh2 then waits for
      // its 'connect'), so small SSH packets written together leave together.
      const socket = new CoalescingSocket();
      socket.connect({ host: config.host!, port: config.port! });
      client.connect({ ...config, sock: socket });
      // Nagle's algorithm stalls SFTP's small request/response packets:
      // 1.7 MiB/s without this on loopback, 100-200+ MiB/s with it.
      client.setNoDelay(true);
    });
  }

  private async connectConfig(): Promise<ConnectConfig> {
    const options = this.options;
    const username = options.username ?? userInfo().username;
    const config: ConnectConfig = {
      host: options.host,
      port: options.port ?? 22,
      username,
      readyTimeout: options.readyTimeout ?? 20_000,
      keepaliveInterval: options.keepaliveInterval ?? 10_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      authHandler: await this.authMethods(username),
    };
    const verifier = hostVerifier(options);
    if (verifier) config.hostVerifier = verifier;
    return config;
  }

  /** Explicit key, agent, default key files (only without password or key), then password. */
  private async authMethods(username: string): Promise<AnyAuthMethod[]> {
    const options = this.options;
    const methods: AnyAuthMethod[] = [];
    const publicKey = (key: string | Buffer): AnyAuthMethod =>
      options.passphrase === undefined
        ? { type: 'publickey', username, key }
        : { type: 'publickey', username, key, passphrase: options.passphrase };
    if (options.privateKey !== undefined) methods.push(publicKey(options.privateKey));
    if (options.privateKeyPath !== undefined) {
      const key = await readFile(options.privateKeyPath).catch((error: NodeJS.ErrnoException) => {
        throw new AccessorOperationFailedError({
          operation: 'connect',
          message: `Cannot read the SFTP private key file (${error.code ?? error.message}).`,
          details: { privateKeyPath: options.privateKeyPath },
        });
      });
      methods.push(publicKey(key));
    }
    const agent = options.agent === undefined ? process.env.SSH_AUTH_SOCK : options.agent;
    if (agent) methods.push({ type: 'agent', username, agent });
    const explicit = options.password !== undefined || methods.length > 0;
    if (!explicit) {
      for (const name of DEFAULT_KEY_FILES) {
        const key = await readFile(join(homedir(), '.ssh', name)).catch(() => undefined);
        if (key) methods.push(publicKey(key));
      }
    }
    if (options.password !== undefined)
      methods.push({ type: 'password', username, password: options.password });
    if (methods.length === 0) methods.push({ type: 'none', username });
    return methods;
  }
}

/** Compare the host key's SHA256 with `hostFingerprint` (as ssh-keygen prints it). */
function hostVerifier(options: SftpAccessorOptions): ((key: Buffer) => boolean) | undefined {
  if (options.hostVerifier) return options.hostVerifier;
  const expected = options.hostFingerprint?.replace(/^SHA256:/, '').replace(/=+$/, '');
  if (!expected) return undefined;
  return (key: Buffer) => createHash('sha256').update(key).digest('base64').replace(/=+$/, '') === expected;
}
