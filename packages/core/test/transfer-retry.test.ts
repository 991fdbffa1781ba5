import { describe, expect, it } from 'vitest';
import {
  AccessorOperationFailedError,
  AccessorResourceExistsError,
  MemoryAccessor,
  markAppearedDuringWrite,
  readAll,
  transferFile,
  type WriteOptions,
  type WriteResult,
  type WriteSource,
} from '../src/index.js';

/**
 * A target whose first write publishes and then loses the reply, as when a
 * connection drops between the server's rename and its answer.
 */
class LostReplyAccessor extends MemoryAccessor {
  lost = 0;
  override async write(ri: string, source: WriteSource, options: WriteOptions = {}): Promise<WriteResult> {
    const result = await super.write(ri, source, options);
    if (this.lost === 0) {
      this.lost++;
      throw new AccessorOperationFailedError({ operation: 'write', resourceIdentifier: ri, transient: true });
    }
    return result;
  }
}

describe('transferFile retries', () => {
  it('adopts a target its own lost-reply attempt published (same bytes)', async () => {
    const source = new MemoryAccessor();
    await source.write('a.bin', Buffer.from('frame bytes'));
    const target = new LostReplyAccessor();
    const result = await transferFile(source, 'a.bin', target, 'b.bin', { retries: 2 });
    expect(target.lost).toBe(1);
    expect(result.size).toBe(11);
    expect((await readAll(await target.createReadStream('b.bin'))).toString()).toBe('frame bytes');
  });

  it('never adopts a different file at the target: it is kept and the transfer fails', async () => {
    const source = new MemoryAccessor();
    await source.write('a.bin', Buffer.from('frame bytes'));
    const target = new (class extends MemoryAccessor {
      first = true;
      override async write(ri: string, data: WriteSource, options: WriteOptions = {}): Promise<WriteResult> {
        if (this.first) {
          this.first = false;
          // Someone else publishes other bytes of the same size, and our attempt fails.
          await super.write(ri, Buffer.from('other bytes'));
          throw new AccessorOperationFailedError({
            operation: 'write',
            resourceIdentifier: ri,
            transient: true,
          });
        }
        return super.write(ri, data, options);
      }
    })();
    const error = await transferFile(source, 'a.bin', target, 'b.bin', { retries: 2 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AccessorResourceExistsError);
    expect((await readAll(await target.createReadStream('b.bin'))).toString()).toBe('other bytes');
  });

  it('adopts on the first attempt when the accessor marks the exists error (its client library retried)', async () => {
    const source = new MemoryAccessor();
    await source.write('a.bin', Buffer.from('frame bytes'));
    const target = new (class extends MemoryAccessor {
      override async write(ri: string, data: WriteSource, options: WriteOptions = {}): Promise<WriteResult> {
        await super.write(ri, data, { ...options, overwrite: true });
        throw markAppearedDuringWrite(
          new AccessorResourceExistsError({ operation: 'write', resourceIdentifier: ri }),
        );
      }
    })();
    const result = await transferFile(source, 'a.bin', target, 'b.bin', { retries: 0 });
    expect(result).toMatchObject({ size: 11, adopted: true });
  });

  it('does not adopt on the first attempt: an existing target is an error', async () => {
    const source = new MemoryAccessor();
    await source.write('a.bin', Buffer.from('same'));
    const target = new MemoryAccessor();
    await target.write('b.bin', Buffer.from('same'));
    await expect(transferFile(source, 'a.bin', target, 'b.bin')).rejects.toBeInstanceOf(
      AccessorResourceExistsError,
    );
  });
});
