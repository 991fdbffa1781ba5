#!/usr/bin/env node
import { CommanderError } from 'commander';
import { describeError, UsageError } from './output.js';
import { buildProgram } from './program.js';

// Ctrl-C aborts the running operation: transfers stop, temp files are removed,
// nothing half-written is registered. A second Ctrl-C exits at once.
const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\ninterrupting: cleaning up (Ctrl-C again to force)\n');
  controller.abort();
});

let exitCode = 0;
const program = buildProgram(controller.signal, (code) => {
  exitCode = code;
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    process.exit(process.exitCode);
  }
  const { message, hint } = describeError(error);
  process.stderr.write(`stowage: ${message}\n`);
  if (hint) process.stderr.write(`hint: ${hint}\n`);
  if (process.env.STOWAGE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  exitCode = interrupted ? 130 : error instanceof UsageError ? 2 : 1;
}
process.exitCode = exitCode;
