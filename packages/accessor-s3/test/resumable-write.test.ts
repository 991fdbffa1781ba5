import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CompleteMultipartUploadCommand, ListPartsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AccessorIntegrityError,
  AccessorResourceExistsError,
  AccessorResourceInvalidError,
  AccessorResourceNotFoundError,
  createPrefixHashes,
  MemoryAccessor,
  MemoryCheckpointStore,
  OperationAbortedError,
  type ResumeState,
  readAll,
  transferFile,
  type WriteOptions,
} from '@stowage/core';
import { afterAll, describe, expect, it } from 'vitest';
import { S3Accessor, s3AccessorOptionsFromEnv } from '../src/index.js';
import { leadingFullParts, listAllParts, type S3ResumeState } from '../src/s3-resume.js';
import { isolatedAccessor, openUploads, rawClient, serverEnv } from './helpers.js';

// Resumable writes (options.resume, as the transfer engine passes it): the
// accessor's own multipart loop, checkpoints, resumeOffset, discardResume.
const MiB = 1024 * 1024;
const PART = 5 * MiB;
const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const raw = rawClient();
const opened: S3Accessor[] = [];

function fresh() {
  const result = isolatedAccessor({ partSize: PART, queueSize: 2 });
  opened.push(result.accessor);
  return result;
}

afterAll(async () => {
  for (const accessor of opened) {
    await accessor.removeContainer('', { recursive: true }).catch(() => {});
    await accessor.close();
  }
  raw.destroy();
});

/** `data` from `start` in 1 MiB chunks; throws after `failAfter` bytes (counted from `start`) if given. */
async function* chunks(data: Buffer, start = 0, failAfter?: number, onChunk?: (sent: number) => unknown) {
  let sent = 0;
  for (let at = start; at < data.length; at += MiB) {
    if (failAfter !== undefined && sent >= failAfter) throw new Error('source broke');
    const piece = data.subarray(at, Math.min(data.length, at + MiB));
    sent += piece.length;
    await onChunk?.(sent);
    yield piece;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A resumable write of `data` (continuing `state` at `offset` when given), recording every save. */
function resumable(
  data: Buffer,
  resumeFrom?: { state: ResumeState; offset: number },
  extra: Omit<WriteOptions, 'resume'> = {},
) {
  const saves: ResumeState[] = [];
  const offset = resumeFrom?.offset ?? 0;
  const hashes = createPrefixHashes(['md5']);
  hashes.md5?.update(data.subarray(0, offset));
  const options: WriteOptions = {
    size: data.length,
    checksums: ['md5'],
    ...extra,
    resume: {
      ...(resumeFrom ? { state: resumeFrom.state, hashes } : {}),
      offset,
      save: async (state) => {
        saves.push(structuredClone(state));
      },
    },
  };
  return { options, saves };
}

async function partsOf(key: string, uploadId: string) {
  const result = await raw.send(
    new ListPartsCommand({ Bucket: serverEnv().bucket, Key: key, UploadId: uploadId }),
  );
  return result.Parts ?? [];
}

describe('resumable writes', () => {
  it('saves the upload before the first part, then growing offsets, and publishes the whole file', async () => {
    const { accessor, prefix } = fresh();
    const data = randomBytes(4 * PART + 12345);
    const { options, saves } = resumable(data);
    const partsAtFirstSave: number[] = [];
    const save = options.resume!.save;
    options.resume!.save = async (state) => {
      if (saves.length === 0)
        partsAtFirstSave.push((await partsOf(String(state.key), String(state.uploadId))).length);
      await save(state);
    };
    const progress: number[] = [];
    const result = await accessor.write('fresh.bin', chunks(data), {
      ...options,
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(result).toEqual({ size: data.length, checksums: { md5: md5(data) } });
    expect(partsAtFirstSave).toEqual([0]);
    expect(saves[0]).toMatchObject({
      key: `${prefix}/fresh.bin`,
      partSize: PART,
      offset: 0,
      size: data.length,
    });
    expect(typeof saves[0]?.uploadId).toBe('string');
    const offsets = saves.map((state) => Number(state.offset));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets.at(-1)).toBe(data.length);
    expect(progress.at(-1)).toBe(data.length);
    expect(sha256(await readAll(await accessor.createReadStream('fresh.bin')))).toBe(sha256(data));
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('a failed write keeps its parts; resumeOffset counts whole parts and a resumed write completes', async () => {
    const { accessor, prefix } = fresh();
    const data = randomBytes(5 * PART + 777);
    const first = resumable(data);
    // Three whole parts and a bit of the fourth, then the source fails.
    await expect(
      accessor.write('resumed.bin', chunks(data, 0, 3 * PART + 2 * MiB), first.options),
    ).rejects.toThrow(/source broke/);
    expect(await accessor.exists('resumed.bin')).toBe(false);
    expect(await openUploads(raw, prefix)).toHaveLength(1);
    const state = first.saves.at(-1)!;
    expect(state.offset).toBe(3 * PART);
    const offset = await accessor.resumeOffset(`resumed.bin`, state, { size: data.length });
    expect(offset).toBe(3 * PART);

    let sent = 0;
    const second = resumable(data, { state, offset: offset! });
    const progress: number[] = [];
    const result = await accessor.write(
      'resumed.bin',
      chunks(data, offset, undefined, (bytes) => {
        sent = bytes;
      }),
      { ...second.options, onProgress: (bytes) => progress.push(bytes) },
    );
    expect(sent).toBe(data.length - 3 * PART);
    expect(result).toEqual({ size: data.length, checksums: { md5: md5(data) } });
    expect(second.saves[0]?.uploadId).toBe(state.uploadId);
    expect(Math.min(...second.saves.map((saved) => Number(saved.offset)))).toBeGreaterThan(3 * PART);
    expect(progress[0]).toBeGreaterThan(3 * PART);
    expect(progress.at(-1)).toBe(data.length);
    expect(sha256(await readAll(await accessor.createReadStream('resumed.bin')))).toBe(sha256(data));
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('ListParts is followed over every page; only whole parts from part 1 count', async () => {
    const { accessor } = fresh();
    const data = randomBytes(3 * PART + 100);
    const { options, saves } = resumable(data);
    await expect(accessor.write('paged.bin', chunks(data, 0, 3 * PART), options)).rejects.toThrow();
    const state = saves.at(-1) as S3ResumeState;
    const parts = await listAllParts(raw, state, undefined, 1);
    expect(parts.map((part) => part.PartNumber)).toEqual([1, 2, 3]);
    expect(leadingFullParts(parts, PART)).toHaveLength(3);
    // A hole or a short part ends the run.
    expect(leadingFullParts([parts[0]!, parts[2]!], PART)).toHaveLength(1);
    expect(leadingFullParts([parts[0]!, { ...parts[1]!, Size: PART - 1 }, parts[2]!], PART)).toHaveLength(1);
    await accessor.discardResume('paged.bin', state);
  });

  it('resumes a file whose parts are all there: nothing more to send, only the completion', async () => {
    const { accessor, prefix } = fresh();
    const data = randomBytes(2 * PART);
    const { options, saves } = resumable(data);
    async function* allThenFail() {
      yield* chunks(data);
      throw new Error('source broke at the end');
    }
    await expect(accessor.write('whole.bin', allThenFail(), options)).rejects.toThrow(/at the end/);
    const state = saves.at(-1)!;
    expect(state.offset).toBe(2 * PART);
    expect(await accessor.resumeOffset('whole.bin', state, { size: data.length })).toBe(2 * PART);
    const second = resumable(data, { state, offset: 2 * PART });
    const result = await accessor.write('whole.bin', chunks(data, 2 * PART), second.options);
    expect(result).toEqual({ size: data.length, checksums: { md5: md5(data) } });
    expect(second.saves).toEqual([]);
    expect(sha256(await readAll(await accessor.createReadStream('whole.bin')))).toBe(sha256(data));
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('a completion whose reply was lost (the SDK retry finds no upload) counts as done', async () => {
    const { accessor: plain, prefix } = fresh();
    const client = plain.client;
    const lossy = Object.create(client) as typeof client;
    // 'lost': the completion happens, its reply is lost and the SDK's retry finds no upload;
    // 'refused': the server says NoSuchUpload on the first attempt.
    let mode: 'lost' | 'refused' = 'lost';
    let lost = 0;
    const noSuchUpload = (attempts: number) =>
      Object.assign(new Error('The specified upload does not exist.'), {
        name: 'NoSuchUpload',
        $metadata: { httpStatusCode: 404, attempts },
      });
    Object.defineProperty(lossy, 'send', {
      value: async (command: unknown, options?: unknown) => {
        const complete = command instanceof CompleteMultipartUploadCommand;
        if (complete && mode === 'refused') throw noSuchUpload(1);
        // biome-ignore lint/suspicious/noExplicitAny: forwarding the SDK's overloaded send
        const result = await (client.send as any).call(client, command, options);
        if (complete) {
          lost++;
          throw noSuchUpload(2);
        }
        return result;
      },
    });
    const accessor = new S3Accessor({ ...s3AccessorOptionsFromEnv(), prefix, client: lossy, partSize: PART });
    const data = randomBytes(2 * PART + 5);
    const { options } = resumable(data);
    const result = await accessor.write('lost-reply.bin', chunks(data), options);
    expect(lost).toBe(1);
    expect(result.size).toBe(data.length);
    expect(sha256(await readAll(await accessor.createReadStream('lost-reply.bin')))).toBe(sha256(data));
    // A NoSuchUpload without a retry is an error, and the upload stays for the engine to discard.
    mode = 'refused';
    const { options: again, saves } = resumable(data);
    await expect(accessor.write('lost-reply-2.bin', chunks(data), again)).rejects.toBeInstanceOf(
      AccessorResourceNotFoundError,
    );
    expect(await accessor.exists('lost-reply-2.bin')).toBe(false);
    await plain.discardResume('lost-reply-2.bin', saves.at(-1)!);
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('an abort keeps the upload for a resume (typed OperationAbortedError)', async () => {
    const { accessor, prefix } = fresh();
    const data = randomBytes(4 * PART);
    const controller = new AbortController();
    const { options, saves } = resumable(data, undefined, { signal: controller.signal });
    const error = await accessor
      .write(
        'aborted.bin',
        chunks(data, 0, undefined, (sent) => {
          if (sent >= 3 * PART) controller.abort();
        }),
        options,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationAbortedError);
    expect(await accessor.exists('aborted.bin')).toBe(false);
    expect(await openUploads(raw, prefix)).toHaveLength(1);
    const offset = await accessor.resumeOffset('aborted.bin', saves.at(-1)!, { size: data.length });
    expect(offset).toBeGreaterThanOrEqual(Number(saves.at(-1)!.offset));
    await accessor.discardResume('aborted.bin', saves.at(-1)!);
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('resumeOffset and discardResume refuse states that are not this resource’s upload', async () => {
    const { accessor, prefix } = fresh();
    const data = randomBytes(2 * PART + 1);
    const { options, saves } = resumable(data);
    await expect(accessor.write('mine.bin', chunks(data, 0, PART + MiB), options)).rejects.toThrow();
    const state = saves.at(-1)!;
    const size = data.length;
    expect(await accessor.resumeOffset('mine.bin', state, { size })).toBe(PART);
    const foreign: ResumeState[] = [
      { ...state, key: `${prefix}/other.bin` },
      { ...state, key: 'elsewhere/mine.bin' },
      { ...state, bucket: 'another-bucket' },
      { ...state, uploadId: 42 },
      { ...state, uploadId: '' },
      { ...state, uploadId: `${state.uploadId}\n` },
      { ...state, partSize: MiB },
      { ...state, partSize: '5242880' },
      { ...state, checksumAlgorithm: 'MD5' },
      { ...state, version: 2 },
      { ...state, offset: -1 },
    ];
    for (const bad of foreign) expect(await accessor.resumeOffset('mine.bin', bad, { size })).toBeUndefined();
    // Another resource's identifier with this state: not its upload either.
    expect(await accessor.resumeOffset('other.bin', state, { size })).toBeUndefined();
    expect(await accessor.resumeOffset('mine.bin', state, { size: size + 1 })).toBeUndefined();
    expect(await accessor.resumeOffset('mine.bin', { ...state, size: size + 1 }, { size })).toBeUndefined();
    // A state for another resource never aborts this upload.
    await accessor.discardResume('other.bin', state);
    for (const bad of foreign) await accessor.discardResume('mine.bin', bad);
    expect(await accessor.resumeOffset('mine.bin', state, { size })).toBe(PART);
    // A resumed write with a foreign state is refused before anything is sent.
    const refused = resumable(data, { state: { ...state, key: `${prefix}/other.bin` }, offset: PART });
    await expect(accessor.write('mine.bin', chunks(data, PART), refused.options)).rejects.toBeInstanceOf(
      AccessorResourceInvalidError,
    );

    await accessor.discardResume('mine.bin', state);
    expect(await accessor.resumeOffset('mine.bin', state, { size })).toBeUndefined();
    await accessor.discardResume('mine.bin', state); // already gone: no error
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('overwrite false is enforced at completion: an object that appeared meanwhile is kept', async () => {
    const { accessor, prefix } = fresh();
    const data = randomBytes(PART + 10);
    let planted = false;
    const { options, saves } = resumable(data, undefined, { overwrite: false });
    const error = await accessor
      .write(
        'contested.bin',
        chunks(data, 0, undefined, async () => {
          if (planted) return;
          planted = true;
          await raw.send(
            new PutObjectCommand({
              Bucket: serverEnv().bucket,
              Key: `${prefix}/contested.bin`,
              Body: 'first',
            }),
          );
        }),
        options,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessorResourceExistsError);
    expect((await readAll(await accessor.createReadStream('contested.bin'))).toString()).toBe('first');
    // The engine discards the partial upload after a non-transient failure.
    await accessor.discardResume('contested.bin', saves.at(-1)!);
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('a size mismatch publishes nothing', async () => {
    const { accessor } = fresh();
    const data = randomBytes(PART + 10);
    const { options } = resumable(data, undefined, { size: data.length + 1 });
    await expect(accessor.write('short.bin', chunks(data), options)).rejects.toBeInstanceOf(
      AccessorIntegrityError,
    );
    expect(await accessor.exists('short.bin')).toBe(false);
  });

  it('writes empty and single-part files', async () => {
    const { accessor, prefix } = fresh();
    for (const data of [Buffer.alloc(0), randomBytes(1000), randomBytes(PART)]) {
      const { options } = resumable(data);
      const result = await accessor.write(`f${data.length}.bin`, Readable.from(chunks(data)), options);
      expect(result).toEqual({ size: data.length, checksums: { md5: md5(data) } });
      const back = await readAll(await accessor.createReadStream(`f${data.length}.bin`));
      expect(back.equals(data)).toBe(true);
    }
    expect(await openUploads(raw, prefix)).toEqual([]);
  });

  it('transferFile resumes after a transient failure within one process', async () => {
    const { accessor, prefix } = fresh();
    const data = randomBytes(6 * PART + 99);
    const source = new MemoryAccessor();
    await source.write('src.bin', data);
    const store = new MemoryCheckpointStore();
    // The first write breaks after 4 parts with a transient error; the engine retries and resumes.
    let calls = 0;
    const flaky = new Proxy(accessor, {
      get(object, property) {
        if (property === 'write')
          return (ri: string, src: AsyncIterable<Buffer>, options: WriteOptions) => {
            calls++;
            if (calls > 1) return object.write(ri, src, options);
            async function* breaking() {
              let sent = 0;
              for await (const chunk of src) {
                if (sent >= 4 * PART + MiB)
                  throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
                sent += chunk.length;
                yield chunk;
              }
            }
            return object.write(ri, breaking(), options);
          };
        const value = Reflect.get(object, property, object);
        return typeof value === 'function' ? value.bind(object) : value;
      },
    });
    const result = await transferFile(source, 'src.bin', flaky, 'dst.bin', {
      checkpoints: { store, key: 'k', threshold: 1 },
    });
    expect(calls).toBe(2);
    expect(result.resumedFrom).toBe(4 * PART);
    expect(result.size).toBe(data.length);
    expect(sha256(await readAll(await accessor.createReadStream('dst.bin')))).toBe(sha256(data));
    expect(store.size).toBe(0);
    expect(await openUploads(raw, prefix)).toEqual([]);
  });
});
