import { defineCapabilities } from '@stowage/core';

/**
 * What FTP offers through this accessor. Writes are atomic (temp name + RNFR/
 * RNTO) but not conditional: FTP has no create-if-absent rename, so
 * `overwrite: false` checks then renames, and a writer that publishes between
 * the check and the rename is overwritten (conditionalCreate: false).
 * No checksums (HASH/XMD5 are non-standard), no server-side copy, no URLs.
 * Resumable: an interrupted write's temp file is continued with APPE.
 */
export const FTP_CAPABILITIES = defineCapabilities({
  read: true,
  write: true,
  list: true,
  stat: true,
  rangeRead: true,
  containers: 'real',
  emptyContainers: true,
  removeContainer: true,
  serverSideCopy: false,
  filesystemPath: false,
  url: false,
  atomicWrite: true,
  conditionalCreate: false,
  // Interrupted writes append to their temp file (APPE) after checking its SIZE.
  resume: true,
  checksums: [],
  sequence: true,
  pathConfinement: true,
  symlinks: false,
  maxNameLength: 255,
});
