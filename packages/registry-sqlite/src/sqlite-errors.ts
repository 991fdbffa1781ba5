import { StowageError } from '@stowage/core';
import Database from 'better-sqlite3';

/** Another connection holds the lock: waiting and trying again will work. */
export function isBusy(error: unknown): boolean {
  return (
    error instanceof Database.SqliteError &&
    (error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED'))
  );
}

/** A Stowage error for a failed registry operation; the SQLite error is its cause. */
export function toRegistryError(error: unknown, operation: string, path: string): StowageError {
  if (error instanceof StowageError) return error;
  const code = error instanceof Database.SqliteError ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new StowageError(`Registry ${operation} failed (${path}): ${message}`, {
    cause: error,
    details: { operation, path, ...(code ? { code } : {}) },
    transient: isBusy(error),
  });
}
