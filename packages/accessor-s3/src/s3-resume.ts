import {
  type CompletedPart,
  ListPartsCommand,
  type ListPartsCommandOutput,
  type Part,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ResumeState } from '@stowage/core';

/**
 * What a resumable write saves in its checkpoint (plain JSON): the multipart
 * upload and the part size, so a resume cuts the rest of the file the same way.
 * `offset` is the bytes covered by the contiguous run of completed parts from
 * part 1 at save time.
 */
export interface S3ResumeState extends ResumeState {
  version: 1;
  bucket: string;
  key: string;
  uploadId: string;
  partSize: number;
  /** Whole file size, when the write knew it. */
  size?: number;
  /** Flexible checksum the upload was created with; every part must use the same. */
  checksumAlgorithm?: UploadChecksumAlgorithm;
  offset: number;
}

export type UploadChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256';
const CHECKSUM_ALGORITHMS: ReadonlySet<unknown> = new Set(['CRC32', 'CRC32C', 'SHA1', 'SHA256']);

/**
 * The saved state, validated strictly (it comes from a file anyone could
 * edit): it must name a multipart upload of exactly this bucket and key, with
 * a part size S3 accepts. Anything else is undefined.
 */
export function parseResumeState(
  state: ResumeState | undefined,
  expected: { bucket: string; key: string; minPartSize: number; maxPartSize: number },
): S3ResumeState | undefined {
  if (!state || typeof state !== 'object') return undefined;
  const { version, bucket, key, uploadId, partSize, size, checksumAlgorithm, offset } = state as Record<
    string,
    unknown
  >;
  if (version !== 1 || bucket !== expected.bucket || key !== expected.key) return undefined;
  if (
    typeof uploadId !== 'string' ||
    uploadId.length === 0 ||
    uploadId.length > 1024 ||
    /[\u0000-\u001f\u007f]/.test(uploadId)
  )
    return undefined;
  if (
    typeof partSize !== 'number' ||
    !Number.isSafeInteger(partSize) ||
    partSize < expected.minPartSize ||
    partSize > expected.maxPartSize
  )
    return undefined;
  if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0))
    return undefined;
  if (checksumAlgorithm !== undefined && !CHECKSUM_ALGORITHMS.has(checksumAlgorithm)) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return {
    version: 1,
    bucket: expected.bucket,
    key: expected.key,
    uploadId,
    partSize,
    ...(size !== undefined ? { size } : {}),
    ...(checksumAlgorithm !== undefined
      ? { checksumAlgorithm: checksumAlgorithm as UploadChecksumAlgorithm }
      : {}),
    offset,
  };
}

/** Every uploaded part of a multipart upload (ListParts, all pages), by part number. SDK errors pass through. */
export async function listAllParts(
  client: S3Client,
  state: Pick<S3ResumeState, 'bucket' | 'key' | 'uploadId'>,
  signal?: AbortSignal,
  pageSize = 1000,
): Promise<Part[]> {
  const parts: Part[] = [];
  let marker: string | undefined;
  // An upload has at most 10,000 parts: a server that pages on forever is cut off.
  for (let page = 0; page <= 10_000; page++) {
    const result: ListPartsCommandOutput = await client.send(
      new ListPartsCommand({
        Bucket: state.bucket,
        Key: state.key,
        UploadId: state.uploadId,
        MaxParts: pageSize,
        ...(marker !== undefined ? { PartNumberMarker: marker } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    );
    parts.push(...(result.Parts ?? []));
    const next = result.NextPartNumberMarker;
    if (!result.IsTruncated || next === undefined || next === marker) break;
    marker = String(next);
  }
  return parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
}

/**
 * Parts 1..k, each exactly `partSize` bytes and with an ETag: what a resume
 * may keep (a short part can only be the last one, so it is sent again).
 */
export function leadingFullParts(parts: Part[], partSize: number): Part[] {
  const byNumber = new Map<number, Part>();
  for (const part of parts) if (part.PartNumber !== undefined) byNumber.set(part.PartNumber, part);
  const leading: Part[] = [];
  for (let number = 1; ; number++) {
    const part = byNumber.get(number);
    if (!part || Number(part.Size) !== partSize || !part.ETag) break;
    leading.push(part);
  }
  return leading;
}

/** A listed or freshly uploaded part as CompleteMultipartUpload wants it (ETag and any checksum). */
export function completedPart(part: Part | (CompletedPart & { PartNumber: number })): CompletedPart {
  return {
    PartNumber: part.PartNumber,
    ETag: part.ETag,
    ...(part.ChecksumCRC32 ? { ChecksumCRC32: part.ChecksumCRC32 } : {}),
    ...(part.ChecksumCRC32C ? { ChecksumCRC32C: part.ChecksumCRC32C } : {}),
    ...(part.ChecksumCRC64NVME ? { ChecksumCRC64NVME: part.ChecksumCRC64NVME } : {}),
    ...(part.ChecksumSHA1 ? { ChecksumSHA1: part.ChecksumSHA1 } : {}),
    ...(part.ChecksumSHA256 ? { ChecksumSHA256: part.ChecksumSHA256 } : {}),
  };
}
