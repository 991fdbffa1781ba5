import type { FileHandle } from 'node:fs/promises';

/**
 * Write all `chunks` at `position`, as one writev when the OS takes it all
 * (files nearly always do); a short write continues with the rest of the
 * chunks, never a joined copy. `onWritten` sees every write's byte count.
 */
export async function writevAll(
  handle: FileHandle,
  chunks: Uint8Array[],
  position: number,
  onWritten?: (bytes: number) => void,
): Promise<number> {
  let left = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  let total = 0;
  let rest = chunks;
  while (left > 0) {
    const { bytesWritten } = await handle.writev(rest, position + total);
    total += bytesWritten;
    left -= bytesWritten;
    onWritten?.(bytesWritten);
    if (left > 0) rest = after(rest, bytesWritten);
  }
  return total;
}

/** The chunks after the first `skip` bytes. */
function after(chunks: Uint8Array[], skip: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return rest;
}
