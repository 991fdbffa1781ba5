import { parseTempFileResumeState, type ResumeState, type TempFileResumeState } from '@stowage/core';

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
export type FtpResumeState = TempFileResumeState;

/** The state when it is well formed (see parseTempFileResumeState), else undefined. */
export function parseResumeState(state: ResumeState | undefined): FtpResumeState | undefined {
  return parseTempFileResumeState(state, TEMP_NAME);
}

export { CheckpointSaver } from '@stowage/core';
