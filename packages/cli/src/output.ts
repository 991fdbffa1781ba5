import { StowageError } from '@stowage/core';
import { ConfigError } from './config.js';

export interface OutputOptions {
  json?: boolean;
}

/** Print rows as an aligned text table. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A one-line error and a hint, never a stack (unless STOWAGE_DEBUG). */
export function describeError(error: unknown): { message: string; hint: string | undefined } {
  if (error instanceof ConfigError) return { message: error.message, hint: error.hint };
  if (error instanceof StowageError) {
    const name = error.name;
    const hints: Record<string, string> = {
      ComponentInLocationError: 'the component is already there: check `stowage availability <id>`',
      ComponentNotInLocationError: 'check `stowage availability <id>` for where it is',
      LocationError: 'run `stowage locations` to see the configured locations',
      OperationAbortedError: 'nothing was registered; run the command again to retry',
      AccessorResourceNotFoundError: 'check the path',
      AccessorPermissionDeniedError: 'check permissions and credentials',
    };
    return { message: `${name}: ${error.message}`, hint: hints[name] };
  }
  if (error instanceof Error) return { message: error.message, hint: undefined };
  return { message: String(error), hint: undefined };
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
