import { type Readable, Transform } from 'node:stream';
import type {
  Accessor,
  CopyOptions,
  GetUrlOptions,
  ReadStreamOptions,
  ResourceStat,
  ResumeOffsetOptions,
  WriteOptions,
  WriteResult,
} from './accessor.js';
import type { AccessorCapabilities } from './capabilities.js';
import type { ResumeState } from './checkpoint.js';
import { AccessorOperationFailedError } from './errors.js';
import type { WriteSource } from './streams.js';
import { toReadable } from './streams.js';

export type ChaosOperation =
  | 'list'
  | 'stat'
  | 'read'
  | 'write'
  | 'remove'
  | 'makeContainer'
  | 'removeContainer'
  | 'copy';

/** When and how an operation fails. */
export interface ChaosRule {
  operation: ChaosOperation | '*';
  /** Let this many calls through first (default 0). */
  after?: number;
  /** Fail this many calls, then let the rest through (default: forever). */
  times?: number;
  /** Instead of after/times: fail this fraction of calls (seeded). */
  ratio?: number;
  /** For read/write: fail mid-stream after this many bytes instead of at the call. */
  afterBytes?: number;
  /** Transient (retryable) failures by default. */
  transient?: boolean;
}

/** A small deterministic PRNG (mulberry32), so chaos runs repeat from a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Wraps an accessor and fails chosen operations, deterministically (after N
 * calls, N times) or at a seeded ratio, at the call or mid-stream. For fault
 * injection tests: the wrapped accessor's own atomicity must keep the target
 * clean whatever this does.
 */
export class ChaosAccessor implements Accessor {
  readonly name: string;
  readonly capabilities: AccessorCapabilities;
  /** Failures injected so far, by operation. */
  readonly injected = new Map<string, number>();
  private readonly calls = new Map<ChaosRule, number>();
  private readonly random: () => number;

  constructor(
    readonly inner: Accessor,
    private readonly rules: ChaosRule[],
    options: { seed?: number } = {},
  ) {
    this.name = `chaos(${inner.name})`;
    this.capabilities = inner.capabilities;
    this.random = seededRandom(options.seed ?? 1);
  }

  /** The rule that fires for this call, if any (counts the call). */
  private fire(operation: ChaosOperation): ChaosRule | undefined {
    for (const rule of this.rules) {
      if (rule.operation !== operation && rule.operation !== '*') continue;
      const count = (this.calls.get(rule) ?? 0) + 1;
      this.calls.set(rule, count);
      const hit =
        rule.ratio !== undefined
          ? this.random() < rule.ratio
          : count > (rule.after ?? 0) &&
            (rule.times === undefined || count <= (rule.after ?? 0) + rule.times);
      if (hit) return rule;
    }
    return undefined;
  }

  private failure(
    rule: ChaosRule,
    operation: string,
    resourceIdentifier: string,
  ): AccessorOperationFailedError {
    this.injected.set(operation, (this.injected.get(operation) ?? 0) + 1);
    return new AccessorOperationFailedError({
      operation,
      resourceIdentifier,
      message: `Injected ${operation} failure on ${JSON.stringify(resourceIdentifier)}.`,
      transient: rule.transient ?? true,
      details: { injected: true },
    });
  }

  private async guard<T>(
    operation: ChaosOperation,
    resourceIdentifier: string,
    call: () => Promise<T>,
  ): Promise<T> {
    const rule = this.fire(operation);
    if (rule && rule.afterBytes === undefined) throw this.failure(rule, operation, resourceIdentifier);
    return call();
  }

  /** A pass-through that errors once `limit` bytes went by. */
  private cutAfter(limit: number, rule: ChaosRule, operation: string, resourceIdentifier: string): Transform {
    let seen = 0;
    const fail = () => this.failure(rule, operation, resourceIdentifier);
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        const room = limit - seen;
        seen += chunk.length;
        if (seen > limit) {
          if (room > 0) this.push(chunk.subarray(0, room));
          callback(fail());
          return;
        }
        callback(null, chunk);
      },
    });
  }

  list(resourceIdentifier: string): Promise<string[]> {
    return this.guard('list', resourceIdentifier, () => this.inner.list(resourceIdentifier));
  }
  exists(resourceIdentifier: string): Promise<boolean> {
    return this.guard('stat', resourceIdentifier, () => this.inner.exists(resourceIdentifier));
  }
  isFile(resourceIdentifier: string): Promise<boolean> {
    return this.guard('stat', resourceIdentifier, () => this.inner.isFile(resourceIdentifier));
  }
  isContainer(resourceIdentifier: string): Promise<boolean> {
    return this.guard('stat', resourceIdentifier, () => this.inner.isContainer(resourceIdentifier));
  }
  isSequence(resourceIdentifier: string): Promise<boolean> {
    return this.guard('list', resourceIdentifier, () => this.inner.isSequence(resourceIdentifier));
  }
  stat(resourceIdentifier: string): Promise<ResourceStat> {
    return this.guard('stat', resourceIdentifier, () => this.inner.stat(resourceIdentifier));
  }

  async createReadStream(resourceIdentifier: string, options?: ReadStreamOptions): Promise<Readable> {
    const rule = this.fire('read');
    if (rule && rule.afterBytes === undefined) throw this.failure(rule, 'read', resourceIdentifier);
    const stream = await this.inner.createReadStream(resourceIdentifier, options);
    if (!rule) return stream;
    const cut = this.cutAfter(rule.afterBytes!, rule, 'read', resourceIdentifier);
    stream.on('error', (error) => cut.destroy(error));
    return stream.pipe(cut);
  }

  async write(resourceIdentifier: string, source: WriteSource, options?: WriteOptions): Promise<WriteResult> {
    const rule = this.fire('write');
    if (rule && rule.afterBytes === undefined) throw this.failure(rule, 'write', resourceIdentifier);
    if (!rule) return this.inner.write(resourceIdentifier, source, options);
    const input = toReadable(source);
    const cut = this.cutAfter(rule.afterBytes!, rule, 'write', resourceIdentifier);
    input.on('error', (error) => cut.destroy(error));
    return this.inner.write(resourceIdentifier, input.pipe(cut), options);
  }

  async resumeOffset(
    resourceIdentifier: string,
    state: ResumeState,
    options: ResumeOffsetOptions,
  ): Promise<number | undefined> {
    return this.inner.resumeOffset?.(resourceIdentifier, state, options);
  }

  async discardResume(resourceIdentifier: string, state: ResumeState): Promise<void> {
    await this.inner.discardResume?.(resourceIdentifier, state);
  }

  remove(resourceIdentifier: string): Promise<void> {
    return this.guard('remove', resourceIdentifier, () => this.inner.remove(resourceIdentifier));
  }
  makeContainer(resourceIdentifier: string, recursive?: boolean): Promise<void> {
    return this.guard('makeContainer', resourceIdentifier, () =>
      this.inner.makeContainer(resourceIdentifier, recursive),
    );
  }
  removeContainer(resourceIdentifier: string, options?: { recursive?: boolean }): Promise<void> {
    return this.guard('removeContainer', resourceIdentifier, () =>
      this.inner.removeContainer(resourceIdentifier, options),
    );
  }
  getContainer(resourceIdentifier: string): Promise<string> {
    return this.inner.getContainer(resourceIdentifier);
  }
  getFilesystemPath(resourceIdentifier: string): string {
    return this.inner.getFilesystemPath(resourceIdentifier);
  }
  getUrl(resourceIdentifier: string, options?: GetUrlOptions): Promise<string> {
    return this.inner.getUrl(resourceIdentifier, options);
  }
  copy(source: string, target: string, options?: CopyOptions): Promise<WriteResult> {
    const inner = this.inner;
    if (!inner.copy)
      return Promise.reject(
        new AccessorOperationFailedError({ operation: 'copy', resourceIdentifier: source }),
      );
    return this.guard('copy', source, () => inner.copy!(source, target, options));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
