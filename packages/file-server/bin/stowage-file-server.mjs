#!/usr/bin/env node
// The Stowage file server from the command line. Configuration comes from
// STOWAGE_FILE_SERVER_* variables and the optional JSON file named by
// STOWAGE_FILE_SERVER_CONFIG (see the README); it stops on SIGINT/SIGTERM.
import { startFileServerFromEnv } from '../dist/index.js';

let server;
try {
  server = await startFileServerFromEnv();
} catch (error) {
  // Configuration errors name the setting, never its value.
  console.error(`stowage-file-server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
console.log(`stowage-file-server listening on ${server.url}`);

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`stowage-file-server: ${signal}, stopping`);
  try {
    await server.close();
    process.exit(0);
  } catch (error) {
    console.error(`stowage-file-server: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
