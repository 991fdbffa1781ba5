import type { ResumeState } from '@stowage/core';

/** Temp files of writes in progress: `.stowage-<16 hex>.tmp`, hidden from `list`. */
export const TEMP_NAME = /^\.stowage-[0-9a-f]{16}\.tmp$/;

/** How many more bytes sent trigger a checkpoint. */
export const SAVE_INTERVAL = 8 * 1024 * 1024;

/**
 * What a resumable FTP write saves: the temp file's base name (in the
 * target's folder) and how many bytes had been handed to the data connection
 * at save time. STOR writes sequentially, so the temp file's SIZE is what
 * counts on resume; `offset` is progress for the checkpoint, not trusted as a
 * durable count (bytes still in socket buffers when the process died are not
 * on the server).
 */
export interface FtpResumeState extends ResumeState {
  temp: string;
  offset: number;
}

/**
 * The state when it is well formed, else undefined. It comes from a file on
 * disk, so only a base name of our own temp pattern is accepted (no slashes,
 * no `..`, never another object's name) and a non-negative integer offset.
 */
export function parseResumeState(state: ResumeState | undefined): FtpResumeState | undefined {
  if (!state || typeof state !== 'object') return undefined;
  const { temp, offset } = state as { temp?: unknown; offset?: unknown };
  if (typeof temp !== 'string' || !TEMP_NAME.test(temp)) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return { temp, offset };
}

/**
 * Saves checkpoints in the background, one at a time and in order, without
 * holding up the transfer: a request made while a save runs replaces any
 * waiting one (only the latest offset matters). `flush` waits for the saves
 * and throws the first failure.
 */
export class CheckpointSaver {
  private pending: number | undefined;
  private running: Promise<void> | undefined;
  private failure: unknown;
  private next: number;

  constructor(
    private readonly save: (offset: number) => Promise<void>,
    start: number,
    private readonly interval = SAVE_INTERVAL,
  ) {
    this.next = start + interval;
  }

  /** `offset` bytes were sent: save once it passed the next mark. */
  progress(offset: number): void {
    if (offset < this.next || this.failure !== undefined) return;
    this.next = offset + this.interval;
    this.pending = offset;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure !== undefined) throw this.failure;
  }

  private async drain(): Promise<void> {
    while (this.pending !== undefined && this.failure === undefined) {
      const offset = this.pending;
      this.pending = undefined;
      try {
        await this.save(offset);
      } catch (error) {
        this.failure = error;
      }
    }
  }
}
