import { parseTempFileResumeState, type ResumeState, type TempFileResumeState } from '@stowage/core';

/** Temp files of writes in progress: `.stowage-<16 hex>.tmp`, hidden from `list`. */
export const TEMP_NAME = /^\.stowage-[0-9a-f]{16}\.tmp$/;

/** How many more contiguous acknowledged bytes trigger a checkpoint. */
export const SAVE_INTERVAL = 8 * 1024 * 1024;

/**
 * What a resumable SFTP write saves: the temp file's base name (in the
 * target's folder) and how many leading bytes of it the server acknowledged
 * without a gap.
 */
export type SftpResumeState = TempFileResumeState;

/** The state when it is well formed (see parseTempFileResumeState), else undefined. */
export function parseResumeState(state: ResumeState | undefined): SftpResumeState | undefined {
  return parseTempFileResumeState(state, TEMP_NAME);
}

export { CheckpointSaver } from '@stowage/core';
