import type { AccessorCapabilities } from '@stowage/core';

/** [column name, package folder, exported class, offline constructor options]. */
export const OFFLINE_ACCESSORS: Array<[string, string, string, Record<string, unknown>]>;
/** The capability matrix as Markdown (docs/capabilities.md). */
export function renderCapabilities(columns: Array<[string, AccessorCapabilities]>): string;
